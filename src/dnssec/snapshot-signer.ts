/**
 * The signing pass of a Snapshot build: given the zone entries and name entries the builder made,
 * attaches DNSKEY, RRSIGs over SOA, NS and every answer subset the routing policies can choose,
 * and the NSEC records for NODATA answers. Everything a DO=1 query needs is then a buffer copy;
 * only proofs for nonexistent names are signed at query time (ZoneSigner.denial).
 */
import { RRType, encodeRecordTail } from '../dns/wire/index.ts';
import type { AnswerSet, NameEntry, ZoneEntry } from '../model/index.ts';
import type { ZoneSigner } from './zone-signer.ts';

/** What the snapshot builder is given when DNSSEC is on: the signer of each signed zone. */
export interface SnapshotSigner {
  /** The signer for the zone with this apex wire key, or undefined when the zone is unsigned. */
  forZone(apexKey: string): ZoneSigner | undefined;
}

/** Types present at a name entry (for its NSEC bitmap). */
function entryTypes(entry: Pick<NameEntry, 'a' | 'aaaa'>): number[] {
  const types: number[] = [];
  if (entry.a !== null) types.push(RRType.A);
  if (entry.aaaa !== null) types.push(RRType.AAAA);
  return types;
}

/** Signs a zone's apex data; `apexEntry` is the served name at the apex, if there is one. */
export function signZone(zone: ZoneEntry, signer: ZoneSigner, apexEntry: Pick<NameEntry, 'a' | 'aaaa'> | undefined): void {
  const apex = zone.apexKey;
  const soaTtl = zone.soaTail.readUInt32BE(4);
  const nsTtl = zone.nsTails.length > 0 ? zone.nsTails[0]!.readUInt32BE(4) : soaTtl;
  const dnskeyTtl = soaTtl;
  const dnskeys = signer.dnskeyRdatas;
  signer.negativeTtlSeconds = Math.min(soaTtl, zone.soaTail.readUInt32BE(zone.soaTail.length - 4));
  const apexTypes = [RRType.SOA, RRType.NS, RRType.DNSKEY, ...(apexEntry ? entryTypes(apexEntry) : [])];
  zone.dnssec = {
    dnskeyTails: dnskeys.map((r) => encodeRecordTail(RRType.DNSKEY, dnskeyTtl, r)),
    dnskeyRrsigs: signer.dnskeyRrsigs(dnskeyTtl),
    soaRrsig: signer.rrsig(apex, RRType.SOA, soaTtl, [zone.soaTail.subarray(10)]),
    nsRrsig: signer.rrsig(apex, RRType.NS, nsTtl, zone.nsTails.map((t) => t.subarray(10))),
    apexNsec: signer.nsec(apex, apexTypes),
    denial: signer,
  };
}

/**
 * Signs one name entry: every answer subset of its A and AAAA sets, and its NODATA NSEC. An
 * entry at the apex shares the apex NSEC (one owner, one NSEC).
 */
export function signEntry(entry: NameEntry, signer: ZoneSigner): void {
  if (entry.a) signAnswerSet(entry, entry.a, signer);
  if (entry.aaaa) signAnswerSet(entry, entry.aaaa, signer);
  entry.nsec = entry.key === entry.zone.apexKey && entry.zone.dnssec ? entry.zone.dnssec.apexNsec : signer.nsec(entry.key, entryTypes(entry));
}

/**
 * The subsets routing/pickAnswers can choose are windows: `count` records from a start index,
 * wrapping (round-robin and weighted: count = min(n, max_answers); failover: the first record).
 */
function signAnswerSet(entry: NameEntry, set: AnswerSet, signer: ZoneSigner): void {
  const n = set.records.length;
  if (n === 0) return;
  const count = entry.policy === 'failover' ? 1 : Math.min(n, entry.maxAnswers);
  const windows = entry.policy === 'failover' || count === n ? 1 : n;
  const type = set.records[0]!.readUInt16BE(2);
  const rrsigs: Buffer[] = [];
  for (let start = 0; start < windows; start++) {
    const rdatas: Buffer[] = [];
    for (let i = 0; i < count; i++) rdatas.push(set.records[(start + i) % n]!.subarray(12));
    rrsigs.push(signer.rrsig(entry.key, type, entry.ttlSeconds, rdatas));
  }
  // One shared signature when every window is the whole set: index by start all the same.
  set.rrsigs = windows === 1 && count === n ? new Array<Buffer>(n).fill(rrsigs[0]!) : rrsigs;
  set.signedCount = count;
}
