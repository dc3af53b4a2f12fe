/**
 * `gossip:` (top level or in the mode's block). Encryption is mandatory, as in the original: the key is
 * base64 of exactly 32 bytes (AES-256). `encryption_keys: [...]` is accepted as a keyring for rotation
 * (the first key encrypts, all decrypt). Overwatch: no gossip section at all means a standalone server
 * with gossip off (bind undefined); any gossip section needs a key and binds 0.0.0.0:7946 by default.
 * Agent: a key and at least one Overwatch address are required; bind_address is optional. Key material
 * never appears in a message. Pure.
 */
import type { ProblemList } from './config-error.ts';
import { parseHostPort } from './network-address.ts';
import { asList, asString, field, readBool, readDuration, readList, readListenAddress, report } from './source-reader.ts';
import type { GossipConfig, Mode } from './types.ts';
import type { SourceMap, SourceNode } from './yaml-source.ts';

export const KEY_REQUIRED =
  'encryption_key is required. OpenGSLB requires encrypted gossip communication.\n       Generate a key with: openssl rand -base64 32';
const KEY_NOT_BASE64 = 'encryption_key must be valid base64';
const keyWrongLength = (bytes: number): string =>
  `encryption_key must be exactly 32 bytes (got ${bytes}).\n       Ensure you're using a 256-bit key. Generate with: openssl rand -base64 32`;

// Standard alphabet with padding, as Go's base64.StdEncoding requires.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function readGossip(map: SourceMap, isPresent: boolean, mode: Mode, problems: ProblemList): GossipConfig {
  const isGossipOn = mode === 'agent' || isPresent;
  const encryptionKeys = isGossipOn ? readKeys(map, problems) : [];

  const overwatchNodes: string[] = [];
  for (const node of readList(map, 'overwatch_nodes', problems, 'a list of Overwatch addresses (host:port)')) {
    const text = asString(node, problems);
    if (text === undefined) continue;
    if (parseHostPort(text) === undefined) report(problems, node, `expected host:port with port 1-65535, got ${JSON.stringify(text)}`);
    else overwatchNodes.push(text);
  }
  const nodesNode = field(map, 'overwatch_nodes');
  if (mode === 'agent' && overwatchNodes.length === 0) {
    if (nodesNode === undefined) {
      report(problems, { file: map.file, line: map.line, path: `${map.path}.overwatch_nodes` }, 'required: at least one Overwatch address (host:port)');
    } else if (nodesNode.kind === 'seq' && nodesNode.items.length === 0) {
      report(problems, nodesNode, 'expected at least one Overwatch address (host:port), got an empty list');
    }
  }

  let bind: GossipConfig['bind'];
  if (mode === 'overwatch' && isPresent) bind = readListenAddress(map, 'bind_address', problems, { host: '0.0.0.0', port: 7946 });
  else if (field(map, 'bind_address') !== undefined) bind = readListenAddress(map, 'bind_address', problems, { host: '0.0.0.0', port: 7946 });

  return {
    ...(bind === undefined ? {} : { bind }),
    encryptionKeys,
    probeIntervalMs: readDuration(map, 'probe_interval', problems, 1000, { minMs: 1 }),
    probeTimeoutMs: readDuration(map, 'probe_timeout', problems, 500, { minMs: 1 }),
    gossipIntervalMs: readDuration(map, 'gossip_interval', problems, 200, { minMs: 1 }),
    overwatchNodes,
    allowUnsignedAgents: readBool(map, 'allow_unsigned_agents', problems, false),
  };
}

function readKeys(map: SourceMap, problems: ProblemList): Buffer[] {
  const single = field(map, 'encryption_key');
  const ring = field(map, 'encryption_keys');
  if (single !== undefined && ring !== undefined) {
    report(problems, ring, 'set either encryption_key or encryption_keys (a keyring whose first key is the primary), not both');
  }
  const nodes: SourceNode[] = single !== undefined ? [single] : ring !== undefined ? (asList(ring, problems, 'a list of base64 keys', { secret: true }) ?? []) : [];
  if (nodes.length === 0) {
    report(problems, { file: map.file, line: map.line, path: map.path }, KEY_REQUIRED);
    return [];
  }
  const keys: Buffer[] = [];
  for (const node of nodes) {
    const text = asString(node, problems, { secret: true });
    if (text === undefined) continue;
    if (!BASE64.test(text)) {
      report(problems, node, KEY_NOT_BASE64);
      continue;
    }
    const key = Buffer.from(text, 'base64');
    if (key.length !== 32) report(problems, node, keyWrongLength(key.length));
    else keys.push(key);
  }
  return keys;
}
