/**
 * DnssecService: the runtime side of signing. Owns one ZoneSigner per configured zone, with the
 * zone's key loaded from (or, on first start, generated into) the state store; hands the signers
 * to the snapshot builder; re-signs before signatures reach half-life by asking for a rebuild;
 * answers the DS and status questions of the API.
 *
 * Invariants: a zone's key is stored durably before anything is signed with it (a restart serves
 * the same DNSKEY, so the DS in the parent stays valid); private keys appear only in the store.
 */
import type { DnssecConfig } from '../config/types.ts';
import { wireKey } from '../dns/wire/index.ts';
import type { Clock, Closeable, TimerHandle } from '../lifecycle/index.ts';
import type { DnssecKeyRecord, DnssecKeyRepository } from '../store/index.ts';
import { isUsableKey, pickSigningKey } from './key-selection.ts';
import { SigningKey, dsPresentation, normaliseZone, type DsRecord } from './signing-key.ts';
import type { SnapshotSigner } from './snapshot-signer.ts';
import { ZoneSigner } from './zone-signer.ts';

/** The smallest logger surface we need (pino's). */
export interface DnssecLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface DnssecServiceOptions {
  config: DnssecConfig;
  keys: Pick<DnssecKeyRepository, 'put' | 'listForZone'>;
  clock: Clock;
  log: DnssecLog;
  /** Asks the runtime for a Snapshot rebuild (signatures due for refresh, keys changed). */
  requestRebuild: () => void;
  /** Seconds per signature (metrics). */
  onSign?: (seconds: number) => void;
}

export interface DsView {
  zone: string;
  dsRecords: (DsRecord & { dsRecord: string })[];
}

export interface ZoneKeyView {
  zone: string;
  keyTag: number;
  algorithm: number;
  flags: number;
  publicKey: string;
  createdAtMs: number;
  source: string;
  /** True for the key that signs (the others, if any, are only published). */
  signing: boolean;
}

export interface ZoneStatusView {
  zone: string;
  keys: ZoneKeyView[];
  signaturesMade: number;
  cacheHits: number;
  signaturesCached: number;
  /** When the earliest served signature is re-made; null before the first build. */
  nextRefreshMs: number | null;
}

interface ZoneState {
  zone: string;
  signer: ZoneSigner;
  records: DnssecKeyRecord[];
}

/** Longest single timer: setTimeout overflows past 2^31-1 ms, and a daily re-check costs nothing. */
const MAX_TIMER_MS = 86_400_000;

export class DnssecService implements SnapshotSigner, Closeable {
  readonly #opts: DnssecServiceOptions;
  readonly #zones = new Map<string, ZoneState>();
  #timer?: TimerHandle;
  #closed = false;

  constructor(opts: DnssecServiceOptions) {
    this.#opts = opts;
  }

  get config(): DnssecConfig {
    return this.#opts.config;
  }

  /**
   * Makes sure every zone has a signer: loads its key from the store, or generates and stores one.
   * Cheap when nothing changed; call before each build (a reload may add zones).
   */
  ensureZones(apexes: readonly string[]): void {
    for (const apex of apexes) {
      const zone = normaliseZone(apex);
      const apexKey = wireKey(zone);
      if (this.#zones.has(apexKey)) continue;
      this.#load(zone, apexKey);
    }
  }

  /** Re-reads a zone's keys from the store (after key sync stored new ones) and rebuilds if the signer changed. */
  reloadZone(apex: string): boolean {
    const zone = normaliseZone(apex);
    const apexKey = wireKey(zone);
    const before = this.#zones.get(apexKey);
    this.#zones.delete(apexKey);
    const after = this.#load(zone, apexKey);
    const changed =
      before === undefined ||
      !before.signer.key.dnskeyRdata.equals(after.signer.key.dnskeyRdata) ||
      before.signer.dnskeyRdatas.length !== after.signer.dnskeyRdatas.length ||
      before.signer.dnskeyRdatas.some((r, i) => !r.equals(after.signer.dnskeyRdatas[i]!));
    if (!changed && before) this.#zones.set(apexKey, before); // keep its warm cache
    else this.#opts.requestRebuild();
    return changed;
  }

  #load(zone: string, apexKey: string): ZoneState {
    const o = this.#opts;
    let records = o.keys.listForZone(zone);
    let usable = this.#parseUsable(zone, records);
    if (usable.length === 0) {
      const key = SigningKey.generate(zone, o.clock.nowMs());
      o.keys.put({
        zone,
        keyTag: key.keyTag,
        algorithm: key.algorithm,
        flags: key.flags,
        publicKey: key.publicKeyBase64,
        privateKeyPem: key.privateKeyPem(),
        createdAtMs: key.createdAtMs,
        source: 'local',
        active: true,
      });
      records = o.keys.listForZone(zone);
      usable = [{ record: records.find((r) => r.publicKey === key.publicKeyBase64)!, key }];
      o.log.info({ zone, keyTag: key.keyTag, ds: dsPresentation(zone, key.ds()) }, 'generated the DNSSEC signing key of the zone; publish its DS in the parent');
    }
    // The deterministic winner signs everything; every other usable key is published and signs the
    // DNSKEY RRset, so a DS taken from any node before key sync converged keeps validating.
    const winner = pickSigningKey(usable.map((u) => u.record))!;
    const signing = usable.find((u) => u.record === winner)!.key;
    const others = usable.filter((u) => u.record !== winner).map((u) => u.key);
    const signer = new ZoneSigner(signing, 60, { nowMs: () => o.clock.nowMs(), validityMs: o.config.signatureValidityMs, onSign: o.onSign }, others);
    const state: ZoneState = { zone, signer, records: usable.map((u) => u.record) };
    this.#zones.set(apexKey, state);
    return state;
  }

  /** The stored keys that can sign (active, algorithm 13, private key parses and matches). */
  #parseUsable(zone: string, records: DnssecKeyRecord[]): { record: DnssecKeyRecord; key: SigningKey }[] {
    const out: { record: DnssecKeyRecord; key: SigningKey }[] = [];
    for (const record of records) {
      if (!isUsableKey(record)) continue;
      try {
        const key = SigningKey.fromPem(zone, record.privateKeyPem, record.flags, record.createdAtMs);
        if (key.keyTag !== record.keyTag || key.publicKeyBase64 !== record.publicKey) throw new Error('stored public key does not match the private key');
        out.push({ record, key });
      } catch (err) {
        this.#opts.log.error({ zone, keyTag: record.keyTag, reason: (err as Error).message }, 'stored DNSSEC key is unusable; skipping it');
      }
    }
    return out;
  }

  forZone(apexKey: string): ZoneSigner | undefined {
    return this.#zones.get(apexKey)?.signer;
  }

  /** After a Snapshot build: drop signatures it no longer uses, and wake up when the next one is due. */
  afterBuild(): void {
    if (this.#closed) return;
    let next = Infinity;
    for (const z of this.#zones.values()) {
      z.signer.sweep();
      next = Math.min(next, z.signer.nextRefreshMs());
    }
    this.#armRefresh(next);
  }

  #armRefresh(atMs: number): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    if (atMs === Infinity || this.#closed) return;
    const clock = this.#opts.clock;
    const delay = Math.min(Math.max(0, atMs - clock.nowMs()), MAX_TIMER_MS);
    this.#timer = clock.setTimer(delay, () => {
      this.#timer = undefined;
      if (clock.nowMs() >= atMs) this.#opts.requestRebuild();
      else this.#armRefresh(atMs); // a capped timer: not due yet
    });
  }

  /** The usable keys of every zone, as stored (private keys included: for sealed export only). */
  keyRecords(): { zone: string; records: DnssecKeyRecord[] }[] {
    return [...this.#zones.values()].map((z) => ({ zone: z.zone, records: z.records }));
  }

  /** True when `zone` is served here. */
  servesZone(zone: string): boolean {
    return this.#zones.has(wireKey(normaliseZone(zone)));
  }

  /**
   * Stores a key adopted from a peer (already checked: its private key matches its public key) and
   * reloads the zone's signer; false when the key is already stored. Throws StoreError (e.g. a
   * different key under the same tag).
   */
  adoptKey(record: DnssecKeyRecord): boolean {
    const zone = normaliseZone(record.zone);
    if (this.#opts.keys.listForZone(zone).some((r) => r.publicKey === record.publicKey)) return false;
    this.#opts.keys.put({ ...record, zone });
    this.#opts.log.info({ zone, keyTag: record.keyTag, source: record.source }, 'adopted a DNSSEC key from a peer');
    this.reloadZone(zone);
    return true;
  }

  /** Zones with a signer, sorted. */
  zones(): string[] {
    return [...this.#zones.values()].map((z) => z.zone).sort();
  }

  /**
   * DS records of a zone: the signing key's first (the one to publish), then any other published
   * key's (each also validates, since every published key signs the DNSKEY RRset).
   */
  ds(zone: string): DsView | undefined {
    const z = this.#zones.get(wireKey(normaliseZone(zone)));
    if (!z) return undefined;
    return {
      zone: z.zone,
      dsRecords: z.signer.keys.map((k) => {
        const ds = k.ds();
        return { ...ds, dsRecord: dsPresentation(z.zone, ds) };
      }),
    };
  }

  status(): ZoneStatusView[] {
    return [...this.#zones.values()]
      .sort((a, b) => (a.zone < b.zone ? -1 : 1))
      .map((z) => {
        const s = z.signer;
        const next = s.nextRefreshMs();
        return {
          zone: z.zone,
          keys: z.records.map((r) => ({
            zone: r.zone,
            keyTag: r.keyTag,
            algorithm: r.algorithm,
            flags: r.flags,
            publicKey: r.publicKey,
            createdAtMs: r.createdAtMs,
            source: r.source,
            signing: r.publicKey === s.key.publicKeyBase64,
          })),
          signaturesMade: s.stats.signaturesMade,
          cacheHits: s.stats.cacheHits,
          signaturesCached: s.cachedSignatures,
          nextRefreshMs: next === Infinity ? null : next,
        };
      });
  }

  /** Totals over all zones (metrics). */
  totals(): { signaturesMade: number; cacheHits: number; signSecondsTotal: number } {
    let signaturesMade = 0;
    let cacheHits = 0;
    let signSecondsTotal = 0;
    for (const z of this.#zones.values()) {
      signaturesMade += z.signer.stats.signaturesMade;
      cacheHits += z.signer.stats.cacheHits;
      signSecondsTotal += z.signer.stats.signSecondsTotal;
    }
    return { signaturesMade, cacheHits, signSecondsTotal };
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    return Promise.resolve();
  }
}
