/**
 * The YAML examples of the deployment guide (seed/agent-overwatch-deployment-guide.md), copied verbatim:
 * the guide is the contract, so each must load. (Its Prometheus alerting rules block is not an OpenGSLB
 * config and is left out.)
 */

export const GUIDE_OVERWATCH = `mode: overwatch

identity:
  node_id: overwatch-us-east-1
  region: us-east

dns:
  listen_address: "0.0.0.0:53"
  zones:
    - gslb.example.com
  default_ttl: 30

dnssec:
  enabled: true
  key_sync:
    peers:
      - "https://overwatch-2.internal:9090"
      - "https://overwatch-3.internal:9090"
    poll_interval: "1h"

# Service tokens - agents must present matching token
agent_tokens:
  myapp: "\${MYAPP_TOKEN}"
  otherapp: "\${OTHERAPP_TOKEN}"

gossip:
  bind_address: "0.0.0.0:7946"
  encryption_key: "\${GOSSIP_KEY}"  # REQUIRED

validation:
  enabled: true
  check_interval: 30s
  check_timeout: 5s

stale:
  threshold: 30s      # Mark stale after 30s no heartbeat
  remove_after: 5m    # Remove backend after 5m stale

api:
  address: "127.0.0.1:8080"  # Localhost only by default; change for remote access
  allowed_networks:
    - 10.0.0.0/8
    - 192.168.0.0/16

metrics:
  enabled: true
  address: "0.0.0.0:9090"

data_dir: /var/lib/opengslb

logging:
  level: info
  format: json
`;

export const GUIDE_AGENT = `mode: agent

identity:
  service_token: "\${MYAPP_TOKEN}"
  region: us-east
  # Certificate auto-generated on first start at /var/lib/opengslb/

backends:
  - service: myapp
    address: 127.0.0.1
    port: 8080
    weight: 100
    health_check:
      type: http
      path: /health
      interval: 5s
      timeout: 2s
      failure_threshold: 3
      success_threshold: 2

predictive:
  enabled: true
  cpu_threshold: 85
  memory_threshold: 90
  error_rate_threshold: 5
  check_interval: 10s

gossip:
  encryption_key: "\${GOSSIP_KEY}"  # Must match Overwatch
  overwatch_nodes:
    - overwatch-1.internal:7946
    - overwatch-2.internal:7946
    - overwatch-3.internal:7946

heartbeat:
  interval: 10s
  missed_threshold: 3

data_dir: /var/lib/opengslb

logging:
  level: info
  format: json

metrics:
  enabled: true
  address: "127.0.0.1:9100"  # Local only for agent metrics
`;

export const GUIDE_MULTI_BACKEND_AGENT = `mode: agent

identity:
  service_token: "\${TOKEN}"
  region: us-east

backends:
  - service: web
    address: 127.0.0.1
    port: 8080
    weight: 100
    health_check:
      type: http
      path: /health
      interval: 5s
      timeout: 2s

  - service: api
    address: 127.0.0.1
    port: 9090
    weight: 100
    health_check:
      type: http
      path: /api/health
      interval: 5s
      timeout: 2s

  - service: grpc
    address: 127.0.0.1
    port: 50051
    weight: 100
    health_check:
      type: tcp
      interval: 10s
      timeout: 3s

gossip:
  encryption_key: "\${GOSSIP_KEY}"
  overwatch_nodes:
    - overwatch-1.internal:7946
`;

export const GUIDE_DNSSEC_DISABLE = `dnssec:
  enabled: false
  security_acknowledgment: "I understand that disabling DNSSEC allows DNS spoofing attacks"
`;
