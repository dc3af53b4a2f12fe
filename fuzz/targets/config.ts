/**
 * Config target: parseConfigText on mutated YAML. Bases are an Overwatch config touching every
 * section and an agent config. Mutations: whole-line edits (delete, duplicate, swap, re-indent),
 * a scalar replaced by a hostile token (wrong types, huge numbers, anchors and aliases, tags,
 * `${VAR}`, flow collections, very long strings), snippets appended (alias bombs, deep nesting,
 * second documents), and byte havoc. The outcome must be a Config or a ConfigError whose every
 * problem has a message; nothing else may be thrown. Problems without a line are tallied, and a
 * message that repeats a configured secret (gossip key, agent token) is a finding.
 */
import { parseConfigText, ConfigError } from '../../src/config/index.ts';
import { FuzzFinding, type FuzzTarget } from '../harness.ts';
import { havocText } from '../mutate.ts';
import type { Rng } from '../rng.ts';

export const FUZZ_GOSSIP_KEY = 'q0DS0hYW8FZKpiVZr3Jqv1e1s3h0xW9Yz8dW0Y2wXnE=';
export const FUZZ_TOKEN = 'fuzz-token-7Hq2Lw9Zp4Rk8Vb3';

export const OVERWATCH_BASE = `mode: overwatch
identity:
  node_id: ow-1
  region: us-east
dns:
  listen_address: "127.0.0.1:5353"
  zones: [gslb.example.com]
  default_ttl: 30
  return_last_healthy: false
  max_udp_payload: 1232
  tcp_idle_timeout: 10s
  tcp_max_connections: 100
data_dir: /tmp/opengslb-fuzz-never-created
dnssec:
  enabled: true
  algorithm: ECDSAP256SHA256
  key_sync:
    peers: ["https://ow-2.internal:9090"]
    poll_interval: 1h
    timeout: 30s
gossip:
  bind_address: "127.0.0.1:7946"
  encryption_key: "${FUZZ_GOSSIP_KEY}"
  probe_interval: 1s
  probe_timeout: 500ms
  gossip_interval: 200ms
agent_tokens:
  app.gslb.example.com: "${FUZZ_TOKEN}"
validation:
  enabled: true
  check_interval: 30s
  check_timeout: 5s
stale:
  threshold: 30s
  remove_after: 5m
api:
  enabled: true
  address: "127.0.0.1:8080"
  allowed_networks: [127.0.0.0/8, "::1/128"]
  trust_proxy_headers: false
metrics:
  enabled: true
  address: "127.0.0.1:9090"
logging:
  level: info
  format: json
regions:
  - name: us-east
    countries: [US, CA]
    continents: [NA]
    servers:
      - { address: 10.0.1.10, port: 80, weight: 100, service: app.gslb.example.com, host: app.example.com }
      - address: 10.0.1.11
        port: 8080
        weight: 50
        service: app.gslb.example.com
    health_check:
      type: http
      path: /health
      interval: 10s
      timeout: 2s
      failure_threshold: 3
      success_threshold: 2
domains:
  - name: app.gslb.example.com
    routing_algorithm: weighted
    regions: [us-east]
    ttl: 30
    max_answers: 4
  - { name: www.gslb.example.com, routing_algorithm: failover, regions: [us-east] }
`;

export const AGENT_BASE = `mode: agent
identity:
  service_token: "${FUZZ_TOKEN}"
  region: us-east
data_dir: /tmp/opengslb-fuzz-never-created
gossip:
  encryption_key: "${FUZZ_GOSSIP_KEY}"
  bind_address: "127.0.0.1:0"
  overwatch_nodes: ["10.0.0.1:7946", "10.0.0.2:7946"]
heartbeat:
  interval: 10s
  missed_threshold: 3
predictive:
  enabled: true
backends:
  - service: app.gslb.example.com
    address: 10.0.1.10
    port: 80
    weight: 100
    health_check: { type: http, path: /health, interval: 5s, timeout: 2s, failure_threshold: 3, success_threshold: 2 }
`;

const TOKENS = [
  '', '~', 'null', '-1', '0', '65536', '99999999999999999999', '1e309', '.nan', '-.inf', '0x1F', '0o17', 'true', 'yes',
  '[]', '{}', '[1, [2, [3]]]', '{a: {b: {c: 1}}}', '"${UNSET_FUZZ_VAR}"', '${HOME}', '"$${escaped}"', '*undefined_alias',
  '&anchor value', '!!binary aGVsbG8=', '!!str 5', '!!int "x"', '!!map {}', '!custom tag', '"\\u0000"', '"\\ud800"',
  "'it''s'", '|\n  block\n  text', '>-\n  folded', '"' + 'x'.repeat(5000) + '"', '-5s', '1h1h', '5 s', '0s', '9999999h',
  '256.1.1.1', '::1', '[::1]:53', '127.0.0.1:99999', ':53', '0.0.0.0/33', 'not a cidr', 'ROUND_ROBIN', 'geolocation',
];

const SNIPPETS = [
  // aliases (the billion-laughs bomb is a test of its own: it costs seconds, see test/reliability)
  'small_a: &a ["x","x"]\nsmall_b: [*a,*a,*a]\n',
  // deep nesting
  `deep: ${'['.repeat(200)}${']'.repeat(200)}\n`,
  `deep2: ${'{a: '.repeat(100)}1${'}'.repeat(100)}\n`,
  '---\nmode: agent\n',
  '...\n',
  '%YAML 1.1\n---\n',
  'dns: {zones: [a, b, c]}\n',
  'dns:\n  zones: *nope\n',
  'regions: &r []\ndomains: *r\n',
  '<<: {mode: agent}\n',
  '? [complex, key]\n: value\n',
  'includes: ["/etc/passwd"]\n',
  'agent_tokens: {"": ""}\n',
  '\t\tmode: overwatch\n',
  '\uFEFFmode: overwatch\n',
];

export function configTarget(): FuzzTarget {
  const bases = [OVERWATCH_BASE, AGENT_BASE];
  const env = { HOME: '/root', FUZZ_SET: 'value' };
  const t = {
    name: 'config',
    description: 'parseConfigText on mutated YAML (Overwatch and agent layouts)',
    lastInput: '' as Buffer | string,
    one(rng: Rng): string {
      let lines = rng.pick(bases).split('\n');
      const ops = rng.range(1, 4);
      for (let i = 0; i < ops; i++) {
        const at = rng.int(lines.length);
        switch (rng.int(8)) {
          case 0:
            lines.splice(at, 1);
            break;
          case 1:
            lines.splice(at, 0, lines[rng.int(lines.length)]!);
            break;
          case 2: {
            const b = rng.int(lines.length);
            [lines[at], lines[b]] = [lines[b]!, lines[at]!];
            break;
          }
          case 3:
            lines[at] = rng.chance(0.5) ? `  ${lines[at]}` : lines[at]!.replace(/^ {1,2}/, '');
            break;
          case 4:
          case 5: {
            // replace the value of a `key: value` line (or a list item) with a hostile token
            const m = /^(\s*(?:- )?[\w.-]+:\s*)(.*)$/.exec(lines[at]!) ?? /^(\s*- )(.*)$/.exec(lines[at]!);
            if (m) lines[at] = m[1] + rng.pick(TOKENS);
            break;
          }
          case 6:
            lines.push(...rng.pick(SNIPPETS).split('\n'));
            break;
          default:
            lines = havocText(rng, lines.join('\n'), 3).split('\n');
        }
      }
      const text = lines.join('\n');
      t.lastInput = text;
      try {
        parseConfigText(text, { sourcePath: rng.chance(0.5) ? '' : '/etc/opengslb/fuzz.yaml', env, hostname: 'fuzz-host' });
        return 'accepted';
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        if (err.problems.length === 0) throw new FuzzFinding('ConfigError without problems');
        let unlocated = false;
        for (const p of err.problems) {
          if (typeof p.message !== 'string' || p.message === '') throw new FuzzFinding('a config problem without a message');
          if (p.line === undefined) unlocated = true;
        }
        // A secret may only appear in a message when the mutation moved it out of its secret key.
        for (const secret of [FUZZ_GOSSIP_KEY, FUZZ_TOKEN]) {
          if (!err.message.includes(secret)) continue;
          const stillSecret = lines.some((l) => l.includes(secret) && /^\s*(encryption_key|service_token|app\.gslb\.example\.com)\s*:/.test(l));
          if (stillSecret) throw new FuzzFinding(`a config error message repeats a configured secret: ${err.message.slice(0, 300)}`);
        }
        return unlocated ? 'rejected-some-problem-without-line' : 'rejected';
      }
    },
  };
  return t;
}
