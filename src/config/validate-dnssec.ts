/**
 * `dnssec:`: on by default (the guide). Turning it off needs an explicit acknowledgement: the guide's
 * sentence or the original's longer one. Algorithm 13 (ECDSAP256SHA256) is the only one we sign with.
 * Key sync polls peer Overwatches (http/https URLs) hourly by default. Pure.
 */
import type { ProblemList } from './config-error.ts';
import { asString, field, readBool, readDuration, readMap, readOptionalString, readStringList, report } from './source-reader.ts';
import type { DnssecConfig } from './types.ts';
import type { SourceMap } from './yaml-source.ts';

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
        { file: at.file, line: at.line, path: map.path },
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
  return {
    enabled,
    algorithm: 'ECDSAP256SHA256',
    keySync: {
      ...(sharedSecret === undefined ? {} : { sharedSecret }),
      peers,
      pollIntervalMs: readDuration(keySync, 'poll_interval', problems, 3_600_000, { minMs: 1000 }),
      timeoutMs: readDuration(keySync, 'timeout', problems, 30_000, { minMs: 100 }),
    },
    signatureValidityMs: readDuration(map, 'signature_validity', problems, 7 * 86_400_000, { minMs: 3_600_000 }),
  };
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
