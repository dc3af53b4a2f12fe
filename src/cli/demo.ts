/**
 * The quick-start demo: an Overwatch on an embedded configuration (127.0.0.1:5353, zone
 * demo.gslb.local) in front of three tiny HTTP backends on 127.0.0.1-3 that this process serves
 * itself, so `dig @127.0.0.1 -p 5353 app.demo.gslb.local` answers real, health-checked records.
 * `POST /toggle` on a backend flips its /health between 200 and 503, to watch failover happen.
 */
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import type { Closeable } from '../lifecycle/index.ts';

export const DEMO_DNS_PORT = 5353;
export const DEMO_BACKEND_PORT = 18080;
export const DEMO_BACKENDS = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];

/** The country database the demo routes by (from the @ip-location-db npm package; CC BY 4.0 data, attribute nro.net). */
export const DEMO_GEO_DATABASE = fileURLToPath(import.meta.resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb'));

export function demoConfigText(dnsPort = DEMO_DNS_PORT, backendPort = DEMO_BACKEND_PORT, dataDir = '.data/demo'): string {
  const servers = (service: string) =>
    DEMO_BACKENDS.map((a) => `      - address: ${a}\n        port: ${backendPort}\n        service: ${service}\n        weight: 100`).join('\n');
  return `# OpenGSLB demo: legacy standalone layout, three local backends checked every 2s.
mode: overwatch
identity:
  node_id: demo-overwatch
dns:
  listen_address: "127.0.0.1:${dnsPort}"
  zones: [demo.gslb.local]
  default_ttl: 5
data_dir: ${dataDir}
logging:
  level: info
  format: text
regions:
  - name: local
    servers:
${servers('app.demo.gslb.local')}
${servers('primary.demo.gslb.local')}
${servers('geo.demo.gslb.local')}
    health_check:
      type: http
      path: /health
      interval: 2s
      timeout: 1s
      failure_threshold: 2
      success_threshold: 1
domains:
  - name: app.demo.gslb.local
    routing_algorithm: round-robin
    regions: [local]
    ttl: 5
  - name: primary.demo.gslb.local
    routing_algorithm: failover
    regions: [local]
    ttl: 5
  - name: geo.demo.gslb.local
    routing_algorithm: geolocation
    regions: [local]
    ttl: 5
geolocation:
  database_path: ${DEMO_GEO_DATABASE}
  default_region: local
  ecs_enabled: true
`;
}

/** The demo's backends: one HTTP server per loopback address, each with a /health to toggle. */
export async function startDemoBackends(port = DEMO_BACKEND_PORT): Promise<Closeable & { ports: number }> {
  const servers: http.Server[] = [];
  for (const address of DEMO_BACKENDS) {
    let healthy = true;
    const server = http.createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/toggle') {
        healthy = !healthy;
        res.writeHead(200, { 'content-type': 'text/plain' }).end(`${address} is now ${healthy ? 'healthy' : 'unhealthy'}\n`);
        return;
      }
      if (req.url === '/health') {
        res.writeHead(healthy ? 200 : 503, { 'content-type': 'text/plain' }).end(healthy ? 'ok\n' : 'unhealthy\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`hello from ${address}\n`);
    });
    server.listen(port, address);
    await once(server, 'listening');
    servers.push(server);
  }
  return {
    ports: port,
    close: async () => {
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
