/**
 * `dnssec:`: on by default (the guide). Turning it off needs an explicit acknowledgement: the guide's
 * sentence or the original's longer one. Algorithm 13 (ECDSAP256SHA256) is the only one we sign with.
 * Key sync polls peer Overwatches (http/https URLs) hourly by default. Pure.
 */
import type { ProblemList } from './config-error.ts';
import { formatDuration } from './duration.ts';
import { asString, field, readBool, readDuration, readMap, readOptionalString, readStringList, report } from './source-reader.ts';
import type { DnssecConfig } from './types.ts';
import { childPath, type SourceMap } from './yaml-source.ts';

export const GUIDE_ACKNOWLEDGMENT = 'I understand that disabling DNSSEC allows DNS spoofing attacks';
export const ORIGINAL_ACKNOWLEDGMENT =
  'I understand that disabling DNSSEC removes cryptographic authentication of DNS responses and allows DNS spoofing attacks against my zones';

export function readDnssec(map: SourceMap, problems: ProblemList): DnssecConfig {
  const enabled = readBool(map, 'enabled', problems, true);
  if (!enabled) {
    const acknowledgment = readOptionalString(map, 'security_acknowledgment', problems);
    if (acknowledgment !== GUIDE_ACKNOWLEDGMENT && acknowledgment !== ORIGINAL_ACKNOWLEDGMENT) {
      const at = field(map, 'security_acknowledgment') ?? field(map, 'enabled') ?? map;
      report(
        problems,
        // Named as the key to set, wherever it is reported (the key's line, else `enabled: false`'s).
        { file: at.file, line: at.line, path: childPath(map.path, 'security_acknowledgment') },
        `to disable DNSSEC, security_acknowledgment must be set to: ${JSON.stringify(GUIDE_ACKNOWLEDGMENT)}`,
      );
    }
  }

  const algorithmNode = field(map, 'algorithm');
  if (algorithmNode !== undefined) {
    const text = algorithmNode.kind === 'scalar' && typeof algorithmNode.value === 'number' ? String(algorithmNode.value) : asString(algorithmNode, problems);
    if (text !== undefined && text.toUpperCase() !== 'ECDSAP256SHA256' && text !== '13') {
      report(problems, algorithmNode, `expected ECDSAP256SHA256 (algorithm 13), got ${JSON.stringify(text)}`);
    }
  }

  const keySync = readMap(map, 'key_sync', problems);
  const peers: string[] = [];
  for (const { value, node } of readStringList(keySync, 'peers', problems, 'a list of peer URLs')) {
    if (isHttpUrl(value)) peers.push(value);
    else report(problems, node, `expected an http(s) URL such as https://overwatch-2.internal:9090, got ${JSON.stringify(value)}`);
  }

  const sharedSecret = readSharedSecret(keySync, problems);
  const pollIntervalMs = readDuration(keySync, 'poll_interval', problems, 3_600_000, { minMs: 1000 });
  const timeoutMs = readDuration(keySync, 'timeout', problems, 30_000, { minMs: 100 });
  return {
    enabled,
    algorithm: 'ECDSAP256SHA256',
    keySync: {
      ...(sharedSecret === undefined ? {} : { sharedSecret }),
      peers,
      pollIntervalMs,
      timeoutMs,
    },
    signatureValidityMs: readDuration(map, 'signature_validity', problems, 7 * 86_400_000, { minMs: 3_600_000 }),
    rollover: readRollover(map, problems, peers.length > 0 ? 2 * pollIntervalMs + timeoutMs : 0),
  };
}

/** Without key sync a new key is everywhere at once; resolvers are covered by the DNSKEY TTL. */
const SOLO_PROPAGATION_MS = 300_000;

/**
 * `zsk_lifetime` (0 = off) and `propagation_delay`. With key sync, a peer sees a new key within
 * one poll (plus its timeout), and a poll may fail once: the delay must cover two polls, or a
 * node could sign with a key another node does not publish yet.
 */
function readRollover(map: SourceMap, problems: ProblemList, syncFloorMs: number): DnssecConfig['rollover'] {
  const zskLifetimeMs = readDuration(map, 'zsk_lifetime', problems, 0);
  const propagationNode = field(map, 'propagation_delay');
  const propagationDelayMs = readDuration(map, 'propagation_delay', problems, Math.max(SOLO_PROPAGATION_MS, syncFloorMs));
  if (propagationNode !== undefined && propagationDelayMs < syncFloorMs) {
    report(problems, propagationNode, `expected at least 2 × key_sync.poll_interval + key_sync.timeout (${formatDuration(syncFloorMs)}) with key sync peers, got ${formatDuration(propagationDelayMs)}`);
  }
  const lifetimeNode = field(map, 'zsk_lifetime');
  if (lifetimeNode !== undefined && zskLifetimeMs > 0 && zskLifetimeMs < 2 * propagationDelayMs) {
    report(problems, lifetimeNode, `expected 0 (no rollover) or at least twice dnssec.propagation_delay (${formatDuration(2 * propagationDelayMs)}), got ${formatDuration(zskLifetimeMs)}`);
  }
  return { zskLifetimeMs, propagationDelayMs };
}


/** `dnssec.key_sync.shared_secret`: at least 16 characters (e.g. `openssl rand -base64 32`). */
function readSharedSecret(map: SourceMap, problems: ProblemList): string | undefined {
  const node = field(map, 'shared_secret');
  if (node === undefined) return undefined;
  const text = readOptionalString(map, 'shared_secret', problems, { secret: true });
  if (text !== undefined && text.length < 16) {
    report(problems, node, `expected at least 16 characters (generate with: openssl rand -base64 32), got (redacted, ${text.length} characters)`);
    return undefined;
  }
  return text;
}

function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const { protocol, hostname } = new URL(text);
  return (protocol === 'http:' || protocol === 'https:') && hostname !== '';
}
