/**
 * The YAML of an Overwatch serving `app.<zone>` from two static documentation-range servers (no
 * traffic leaves a test: checks are answered in-process or go nowhere), with room for each test's
 * own settings. Indentation of the extras is the caller's: `dns` lines at 2 spaces, top-level
 * sections at 0.
 */
export interface StaticOverwatchYaml {
  zone: string;
  nodeId: string;
  dataDir: string;
  /** Extra lines under `dns:` (e.g. `  workers: 2`). */
  dns?: string[];
  /** Extra lines under the region (e.g. a `health_check`). */
  region?: string[];
  /** Extra lines under the domain (e.g. `    ttl: 1`). */
  domain?: string[];
  /** Top-level sections after the domains (api, dnssec, ...). */
  sections?: string;
}

export function staticOverwatchYaml(o: StaticOverwatchYaml): string {
  return `mode: overwatch
identity:
  node_id: ${o.nodeId}
dns:
  listen_address: "127.0.0.1:0"
  zones: [${o.zone}]
${(o.dns ?? []).map((l) => `${l}\n`).join('')}regions:
  - name: us-east
${(o.region ?? []).map((l) => `${l}\n`).join('')}    servers:
      - { address: 192.0.2.10, port: 80, service: app.${o.zone} }
      - { address: 192.0.2.11, port: 80, service: app.${o.zone} }
domains:
  - name: app.${o.zone}
    regions: [us-east]
${(o.domain ?? []).map((l) => `${l}\n`).join('')}${o.sections ?? ''}data_dir: ${o.dataDir}
`;
}
