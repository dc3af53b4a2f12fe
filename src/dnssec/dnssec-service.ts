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
import { isUsableKey } from './key-selection.ts';
import { planZoneKeys, type RolloverTiming, type ZoneKeyPlan, type ZoneKeyState } from './rollover.ts';
import { FLAGS_CSK, FLAGS_ZSK, SigningKey, dsPresentation, isKeySigningKey, normaliseZone, type DsRecord } from './signing-key.ts';
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
  keys: Pick<DnssecKeyRepository, 'put' | 'listForZone' | 'delete'>;
  clock: Clock;
  log: DnssecLog;
  /** Asks the runtime for a Snapshot rebuild (signatures due for refresh, keys changed). */
  requestRebuild: () => void;
  /** Seconds per signature (metrics). */
  onSign?: (seconds: number) => void;
  /** TTL of the DNSKEY RRset (the zone's SOA TTL): part of a new ZSK's pre-publication interval. */
  dnskeyTtlSeconds: number;
  /**
   * False while a new ZSK must not be made yet: until key sync's first round, a node joining a
   * cluster would otherwise make a successor of its own before it has seen the cluster's keys.
   */
  mayGenerateZsk?: () => boolean;
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
  /** True for the key that signs the zone data (the others sign only the DNSKEY RRset, or nothing). */
  signing: boolean;
  /** `ksk` signs the DNSKEY RRset (its DS goes to the parent); `zsk` signs the rest when rollover is on. */
  role: 'ksk' | 'zsk';
  /** ksk: `active` (the DS to publish) or `published`; zsk: `published` (pre-publication), `active`, `retiring`. */
  state: ZoneKeyState;
  /** ZSK: when it starts (or started) signing. */
  activeFromMs: number | null;
  /** Retiring ZSK: when it leaves the DNSKEY RRset (null while the largest signed TTL is not known yet). */
  removeAtMs: number | null;
}

export interface ZoneStatusView {
  zone: string;
  keys: ZoneKeyView[];
  signaturesMade: number;
  cacheHits: number;
  signaturesCached: number;
  /** When the earliest served signature is re-made; null before the first build. */
  nextRefreshMs: number | null;
  /** ZSK lifetime (0: rollover off, the KSK signs everything) and the next key event (null: none). */
  rollover: { zskLifetimeMs: number; nextEventMs: number | null };
}

interface ZoneState {
  zone: string;
  signer: ZoneSigner;
  records: DnssecKeyRecord[];
  plan: ZoneKeyPlan;
}

/** Longest single timer: setTimeout overflows past 2^31-1 ms, and a daily re-check costs nothing. */
const MAX_TIMER_MS = 86_400_000;

export class DnssecService implements SnapshotSigner, Closeable {
  readonly #opts: DnssecServiceOptions;
  readonly #zones = new Map<string, ZoneState>();
  /** Largest TTL signed per zone (apex key) since start: sets how long a retired ZSK stays published. */
  readonly #maxTtlSeconds = new Map<string, number>();
  /** Counters of signers replaced since start (key sync, rollover): totals() stays monotonic. */
  readonly #replacedTotals = { signaturesMade: 0, cacheHits: 0, signSecondsTotal: 0 };
  #timer?: TimerHandle;
  #rolloverTimer?: TimerHandle;
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
      this.#armRollover();
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
    if (!changed && before) this.#zones.set(apexKey, { ...before, records: after.records, plan: after.plan }); // keep its warm cache
    else {
      if (before) {
        this.#replacedTotals.signaturesMade += before.signer.stats.signaturesMade;
        this.#replacedTotals.cacheHits += before.signer.stats.cacheHits;
        this.#replacedTotals.signSecondsTotal += before.signer.stats.signSecondsTotal;
      }
      this.#opts.requestRebuild();
    }
    this.#armRollover();
    return changed;
  }

  /** Re-plans every zone's keys (key sync finished a round, a rollover event is due). */
  replanAll(): void {
    for (const z of [...this.#zones.values()]) this.reloadZone(z.zone);
  }

  #load(zone: string, apexKey: string): ZoneState {
    const o = this.#opts;
    // Parsed once: keys made or retired below are added to or taken from this list directly.
    let usable = this.#parseUsable(zone, o.keys.listForZone(zone));
    if (!usable.some((u) => isKeySigningKey(u.record))) {
      const made = this.#generate(zone, FLAGS_CSK);
      usable.push(made);
      o.log.info({ zone, keyTag: made.key.keyTag, ds: dsPresentation(zone, made.key.ds()) }, 'generated the DNSSEC signing key of the zone; publish its DS in the parent');
    }
    let plan = planZoneKeys(usable.map((u) => u.record), o.clock.nowMs(), this.#timing(apexKey));
    for (const record of plan.drop) {
      o.keys.put({ ...record, active: false });
      o.log.info({ zone, keyTag: record.keyTag }, 'DNSSEC ZSK retired for good: no longer published');
    }
    const generateZsk = plan.generateZsk && (o.mayGenerateZsk?.() ?? true);
    if (generateZsk) {
      const made = this.#generate(zone, FLAGS_ZSK);
      usable.push(made);
      o.log.info({ zone, keyTag: made.key.keyTag, signsFrom: new Date(made.record.createdAtMs + this.#timing(apexKey).prePublishMs).toISOString() }, 'pre-published a new DNSSEC ZSK');
    }
    if (plan.drop.length > 0 || generateZsk) {
      const dropped = new Set(plan.drop);
      usable = usable.filter((u) => !dropped.has(u.record));
      plan = planZoneKeys(usable.map((u) => u.record), o.clock.nowMs(), this.#timing(apexKey));
    }
    // The KSK (the deterministic winner among key-signing keys) signs the DNSKEY RRset with every
    // other published KSK, so a DS taken from any node before key sync converged keeps validating;
    // the active ZSK, or the KSK when there is none, signs everything else.
    const keyOf = new Map(usable.map((u) => [u.record.publicKey, u.key]));
    const dataKey = keyOf.get((plan.zsk ?? plan.ksk)!.publicKey)!;
    const others = plan.published.map((p) => keyOf.get(p.record.publicKey)!).filter((k) => k !== dataKey);
    const signer = new ZoneSigner(dataKey, 60, { nowMs: () => o.clock.nowMs(), validityMs: o.config.signatureValidityMs, onSign: o.onSign }, others);
    const state: ZoneState = { zone, signer, records: plan.published.map((p) => p.record), plan };
    this.#zones.set(apexKey, state);
    return state;
  }

  #generate(zone: string, flags: number): { record: DnssecKeyRecord; key: SigningKey } {
    // A new key never shares a tag with a stored one (retired keys included): validators try every
    // key with a matching tag, and the store refuses a second key under one tag.
    const taken = new Set(this.#opts.keys.listForZone(zone).map((r) => r.keyTag));
    let key = SigningKey.generate(zone, this.#opts.clock.nowMs(), flags);
    while (taken.has(key.keyTag)) key = SigningKey.generate(zone, this.#opts.clock.nowMs(), flags);
    const record: DnssecKeyRecord = {
      zone,
      keyTag: key.keyTag,
      algorithm: key.algorithm,
      flags: key.flags,
      publicKey: key.publicKeyBase64,
      privateKeyPem: key.privateKeyPem(),
      createdAtMs: key.createdAtMs,
      source: 'local',
      active: true,
    };
    this.#opts.keys.put(record);
    return { record, key };
  }

  /** RFC 7583 intervals: Ipub = DNSKEY TTL + propagation delay; Iret = propagation delay + largest TTL signed. */
  #timing(apexKey: string): RolloverTiming {
    const { zskLifetimeMs, propagationDelayMs } = this.#opts.config.rollover;
    const maxTtl = this.#maxTtlSeconds.get(apexKey);
    return {
      zskLifetimeMs,
      prePublishMs: this.#opts.dnskeyTtlSeconds * 1000 + propagationDelayMs,
      retireMs: maxTtl === undefined ? undefined : propagationDelayMs + Math.max(maxTtl, this.#opts.dnskeyTtlSeconds) * 1000,
    };
  }

  /** Wakes up at the earliest key event of any zone (a ZSK activates or leaves, a successor is due). */
  #armRollover(): void {
    this.#rolloverTimer?.cancel();
    this.#rolloverTimer = undefined;
    if (this.#closed) return;
    let next = Infinity;
    for (const z of this.#zones.values()) next = Math.min(next, z.plan.nextEventMs);
    if (next === Infinity) return;
    const clock = this.#opts.clock;
    this.#rolloverTimer = clock.setTimer(Math.min(Math.max(0, next - clock.nowMs()), MAX_TIMER_MS), () => {
      this.#rolloverTimer = undefined;
      const now = clock.nowMs();
      for (const z of [...this.#zones.values()]) if (z.plan.nextEventMs <= now) this.reloadZone(z.zone);
      this.#armRollover();
    });
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
    let replan = false;
    for (const [apexKey, z] of this.#zones) {
      z.signer.sweep();
      next = Math.min(next, z.signer.nextRefreshMs());
      const known = this.#maxTtlSeconds.get(apexKey);
      if (known === undefined || z.signer.maxSignedTtlSeconds > known) this.#maxTtlSeconds.set(apexKey, Math.max(known ?? 0, z.signer.maxSignedTtlSeconds));
      // Retired keys wait for the largest signed TTL to be known before their removal is scheduled.
      if (known === undefined && z.plan.published.some((p) => p.removeAtMs === null)) {
        z.plan = { ...z.plan, nextEventMs: this.#opts.clock.nowMs() };
        replan = true;
      }
    }
    this.#armRefresh(next);
    if (replan) this.#armRollover();
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
    const stored = this.#opts.keys.listForZone(zone);
    if (stored.some((r) => r.publicKey === record.publicKey)) return false;
    // Key tags are 16 bits and every rollover leaves a retired key behind: a peer's new key may
    // share a tag with one of ours that no longer serves. The retired one gives way; an active one
    // does not (the store refuses, and the peer's failure is counted).
    const retiredTwin = stored.find((r) => r.keyTag === record.keyTag && r.algorithm === record.algorithm && !r.active);
    if (retiredTwin) this.#opts.keys.delete(zone, retiredTwin.keyTag, retiredTwin.algorithm);
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
   * DS records of a zone: the KSK's first (the one to publish), then any other published KSK's
   * (each also validates, since every KSK signs the DNSKEY RRset). ZSKs never have a DS.
   */
  ds(zone: string): DsView | undefined {
    const z = this.#zones.get(wireKey(normaliseZone(zone)));
    if (!z) return undefined;
    return {
      zone: z.zone,
      dsRecords: z.signer.keySigningKeys.map((k) => {
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
          keys: z.plan.published.map((p) => {
            const r = p.record;
            return {
              zone: r.zone,
              keyTag: r.keyTag,
              algorithm: r.algorithm,
              flags: r.flags,
              publicKey: r.publicKey,
              createdAtMs: r.createdAtMs,
              source: r.source,
              signing: r.publicKey === s.key.publicKeyBase64,
              role: p.role,
              state: p.state,
              activeFromMs: p.activeFromMs ?? null,
              removeAtMs: p.removeAtMs ?? null,
            };
          }),
          signaturesMade: s.stats.signaturesMade,
          cacheHits: s.stats.cacheHits,
          signaturesCached: s.cachedSignatures,
          nextRefreshMs: next === Infinity ? null : next,
          rollover: {
            zskLifetimeMs: this.#opts.config.rollover.zskLifetimeMs,
            nextEventMs: z.plan.nextEventMs === Infinity ? null : z.plan.nextEventMs,
          },
        };
      });
  }

  /** Totals over all zones (metrics). */
  totals(): { signaturesMade: number; cacheHits: number; signSecondsTotal: number } {
    let { signaturesMade, cacheHits, signSecondsTotal } = this.#replacedTotals;
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
    this.#rolloverTimer?.cancel();
    this.#rolloverTimer = undefined;
    return Promise.resolve();
  }
}
