/**
 * Key sync between independent Overwatches (issue 6, "Pattern 2"): every Overwatch of a zone must
 * publish the same DNSKEY set, so that one DS in the parent validates answers from any of them.
 *
 * Each node serves its usable keys at `GET /api/v1/dnssec/sync/keys` with the private keys sealed
 * (key-sync-crypto.ts: AES-256-GCM under an HKDF of the shared secret, metadata authenticated).
 * Each node polls its `dnssec.key_sync.peers` every `poll_interval` (and once at start), opens
 * the keys it does not have, checks that each private key matches its public key, and stores
 * them (source `peer:<url>`). Which keys sign is then the deterministic plan of rollover.ts (the
 * oldest KSK wins; ZSKs by their publication times), so every node converges on the same keys
 * without coordination, and every known KSK stays published and signs the DNSKEY RRset, so a DS
 * taken from any node before convergence keeps validating. A key a node has retired is stored
 * inactive, so a peer still offering it does not bring it back.
 *
 * Failures (peer down, bad JSON, wrong secret, tampering) are counted per peer and reported in
 * the status; they never touch DNS, which keeps answering with the keys it has.
 */
import type { Clock, Closeable, TimerHandle } from '../lifecycle/index.ts';
import type { DnssecLog, DnssecService } from './dnssec-service.ts';
import { openPrivateKey, sealPrivateKey, type SealedKeyMeta } from './key-sync-crypto.ts';
import { ALGORITHM_ECDSAP256SHA256, SigningKey, normaliseZone } from './signing-key.ts';

export const SYNC_KEYS_PATH = '/api/v1/dnssec/sync/keys';

export interface SyncKeyJson {
  key_tag: number;
  algorithm: number;
  flags: number;
  public_key: string;
  created_at_ms: number;
  /** base64(nonce || AES-256-GCM ciphertext of the PKCS#8 PEM || tag). */
  sealed_private_key: string;
}

export interface SyncBundle {
  version: 1;
  node_id: string;
  zones: { zone: string; keys: SyncKeyJson[] }[];
}

function metaOf(zone: string, k: Omit<SyncKeyJson, 'sealed_private_key'>): SealedKeyMeta {
  return { zone, keyTag: k.key_tag, algorithm: k.algorithm, flags: k.flags, publicKey: k.public_key, createdAtMs: k.created_at_ms };
}

/** What this node offers its peers: every usable key, private parts sealed. */
export function exportBundle(service: DnssecService, syncKey: Buffer, nodeId: string): SyncBundle {
  return {
    version: 1,
    node_id: nodeId,
    zones: service.keyRecords().map(({ zone, records }) => ({
      zone,
      keys: records.map((r) => {
        const k = { key_tag: r.keyTag, algorithm: r.algorithm, flags: r.flags, public_key: r.publicKey, created_at_ms: r.createdAtMs };
        return { ...k, sealed_private_key: sealPrivateKey(syncKey, metaOf(zone, k), r.privateKeyPem) };
      }),
    })),
  };
}

export interface PeerSyncStatus {
  peer: string;
  lastSuccessMs: number | null;
  lastErrorMs: number | null;
  lastError: string | null;
  /** Key tags (per zone) the peer offered in its last good answer. */
  keyTagsSeen: { zone: string; keyTags: number[] }[];
  failures: number;
  keysAdopted: number;
}

export interface KeySyncerOptions {
  service: DnssecService;
  peers: readonly string[];
  pollIntervalMs: number;
  timeoutMs: number;
  /** The transport key (deriveSyncKey), or null when no shared secret is configured: sync is then off and says why. */
  syncKey: Buffer | null;
  clock: Clock;
  log: DnssecLog;
  onFailure?: (peer: string) => void;
  /** After every round, whatever its outcome (the service re-plans its keys: rollover.ts). */
  onRound?: () => void;
  /** Injectable for tests; global fetch otherwise. */
  fetch?: typeof fetch;
}

export const NO_SECRET_ERROR = 'key sync is off: no shared secret (gossip.encryption_key) to seal keys with';

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

/** Parses a peer's bundle; throws naming what is wrong. */
export function parseBundle(body: unknown): SyncBundle {
  const b = body as Partial<SyncBundle> | null;
  if (typeof b !== 'object' || b === null || b.version !== 1 || !Array.isArray(b.zones)) throw new Error('not a key sync bundle (version 1)');
  for (const z of b.zones) {
    if (typeof z?.zone !== 'string' || !Array.isArray(z.keys)) throw new Error('bundle zone entry malformed');
    for (const k of z.keys) {
      if (
        !isInt(k?.key_tag, 0, 65535) ||
        !isInt(k.algorithm, 0, 255) ||
        !isInt(k.flags, 0, 65535) ||
        typeof k.public_key !== 'string' ||
        !isInt(k.created_at_ms, 0, Number.MAX_SAFE_INTEGER) ||
        typeof k.sealed_private_key !== 'string'
      ) {
        throw new Error(`bundle key of ${z.zone} malformed`);
      }
    }
  }
  return b as SyncBundle;
}

export class KeySyncer implements Closeable {
  readonly #o: KeySyncerOptions;
  readonly #peers: readonly string[];
  readonly #status = new Map<string, PeerSyncStatus>();
  readonly #abort = new AbortController();
  #timer?: TimerHandle;
  #running?: Promise<void>;
  #closed = false;
  #roundsDone = 0;

  constructor(o: KeySyncerOptions) {
    this.#o = o;
    this.#peers = [...o.peers];
    for (const peer of this.#peers) {
      this.#status.set(peer, { peer, lastSuccessMs: null, lastErrorMs: null, lastError: null, keyTagsSeen: [], failures: 0, keysAdopted: 0 });
    }
  }

  get enabled(): boolean {
    return this.#o.syncKey !== null && this.#peers.length > 0;
  }

  get syncKey(): Buffer | null {
    return this.#o.syncKey;
  }

  get pollIntervalMs(): number {
    return this.#o.pollIntervalMs;
  }

  /** Polls now, then every poll interval. */
  start(): void {
    if (this.#peers.length === 0) return;
    void this.syncNow().catch((err: unknown) => this.#o.log.error({ err }, 'key sync round failed'));
  }

  /** One round over every peer (a round in progress is joined, not doubled). */
  syncNow(): Promise<void> {
    this.#running ??= this.#round().finally(() => {
      this.#running = undefined;
      this.#arm();
    });
    return this.#running;
  }

  status(): PeerSyncStatus[] {
    return [...this.#status.values()].map((s) => ({ ...s, keyTagsSeen: s.keyTagsSeen.map((z) => ({ ...z, keyTags: [...z.keyTags] })) }));
  }

  #arm(): void {
    this.#timer?.cancel();
    if (this.#closed || this.#peers.length === 0) return;
    this.#timer = this.#o.clock.setTimer(Math.min(this.#o.pollIntervalMs, 86_400_000), () => void this.syncNow());
  }

  /** True once every peer has been asked at least once (answered or failed). */
  get firstRoundDone(): boolean {
    return this.#roundsDone > 0;
  }

  async #round(): Promise<void> {
    await Promise.all(this.#peers.map((peer) => this.#syncPeer(peer)));
    if (this.#closed) return;
    this.#roundsDone++;
    this.#o.onRound?.();
  }

  async #syncPeer(peer: string): Promise<void> {
    const st = this.#status.get(peer)!;
    const o = this.#o;
    try {
      if (o.syncKey === null) throw new Error(NO_SECRET_ERROR);
      const url = `${peer.replace(/\/+$/, '')}${SYNC_KEYS_PATH}`;
      const res = await (o.fetch ?? fetch)(url, {
        signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(o.timeoutMs)]),
        headers: { accept: 'application/json', 'user-agent': 'OpenGSLB-KeySync/2' },
      });
      if (!res.ok) throw new Error(`HTTP ${res.status} from ${url}`);
      const bundle = parseBundle(await res.json());
      const seen: { zone: string; keyTags: number[] }[] = [];
      for (const z of bundle.zones) {
        const zone = normaliseZone(z.zone);
        seen.push({ zone, keyTags: z.keys.map((k) => k.key_tag) });
        if (!o.service.servesZone(zone)) continue;
        for (const k of z.keys) {
          if (k.algorithm !== ALGORITHM_ECDSAP256SHA256) continue;
          const pem = openPrivateKey(o.syncKey, metaOf(z.zone, k), k.sealed_private_key);
          const key = SigningKey.fromPem(zone, pem, k.flags, k.created_at_ms);
          if (key.publicKeyBase64 !== k.public_key || key.keyTag !== k.key_tag) throw new Error(`key ${k.key_tag} of ${zone}: private key does not match its public key`);
          const adopted = o.service.adoptKey({
            zone,
            keyTag: k.key_tag,
            algorithm: k.algorithm,
            flags: k.flags,
            publicKey: k.public_key,
            privateKeyPem: key.privateKeyPem(),
            createdAtMs: k.created_at_ms,
            source: `peer:${peer}`,
            active: true,
          });
          if (adopted) st.keysAdopted++;
        }
      }
      st.keyTagsSeen = seen;
      st.lastSuccessMs = o.clock.nowMs();
    } catch (err) {
      if (this.#closed) return;
      st.failures++;
      st.lastErrorMs = o.clock.nowMs();
      st.lastError = (err as Error).message;
      o.onFailure?.(peer);
      o.log.warn({ peer, reason: st.lastError }, 'DNSSEC key sync with a peer failed; serving with the keys we have');
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#timer?.cancel();
    this.#abort.abort();
    await this.#running?.catch(() => {});
  }
}
