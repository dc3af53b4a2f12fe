/**
 * Query messages for the DNS benches, encoded by an independent encoder (dns-packet), in the shapes
 * dnsperf sends: no EDNS, EDNS with DO=0 (`dnsperf -e`), EDNS with DO=1 (`dnsperf -D`), plus ECS.
 */
import * as packet from 'dns-packet';

export interface QueryShape {
  edns?: boolean;
  dnssecOk?: boolean;
  ecs?: { family: 1 | 2; sourcePrefix: number; address: string };
}

export function queryBytes(name: string, type: string, shape: QueryShape = {}): Buffer {
  const additionals: packet.Answer[] = [];
  if (shape.edns || shape.dnssecOk || shape.ecs) {
    const options = shape.ecs
      ? [{ code: 8, family: shape.ecs.family, sourcePrefixLength: shape.ecs.sourcePrefix, scopePrefixLength: 0, ip: shape.ecs.address }]
      : [];
    additionals.push({
      type: 'OPT',
      name: '.',
      udpPayloadSize: 4096,
      extendedRcode: 0,
      ednsVersion: 0,
      flags: shape.dnssecOk ? packet.DNSSEC_OK : 0,
      options,
    } as unknown as packet.Answer);
  }
  return packet.encode({
    type: 'query',
    id: 0x1234,
    flags: packet.RECURSION_DESIRED,
    questions: [{ type: type as packet.RecordType, name, class: 'IN' }],
    additionals,
  });
}
