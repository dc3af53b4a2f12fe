/**
 * node bench/dns/worker-replication.ts [--workers=2] [--rounds=40] [--out=FILE]
 *
 * What `dns.workers` adds to a health change: a DnsServer with N UDP workers on 127.0.0.1 gets
 * Snapshots in which one backend flips health; for each publish, the time until every worker
 * answers from it (publish -> encode -> postMessage -> decode -> ack), and the encode cost alone.
 * Sizes: names x backends per name, unsigned and signed (the signed Snapshot is built with a real
 * DnssecService: more buffers per name). Bounded: `rounds` publishes per size, every wait capped.
 */
import { performance } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { DnsServer } from '../../src/dns/index.ts';
import type { DnssecService } from '../../src/dnssec/index.ts';
import { buildSnapshot, type BackendView, type SnapshotInput } from '../../src/overwatch/index.ts';
import type { Snapshot } from '../../src/model/index.ts';
import { ReplicaPublisher, newReceiverState } from '../../src/dns/worker/replica-publisher.ts';
import { ZONE, startSignedServer } from '../../test/dnssec/signed-server.ts';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const WORKERS = Number(opt('workers', '2'));
const ROUNDS = Number(opt('rounds', '40'));
const OUT = opt('out', '');
// The signed fixture's DnssecService (its own small server aside) signs the Snapshots of the signed rows.
const fixture = await startSignedServer();

function input(names: number, perName: number, flip: number, signer?: DnssecService): SnapshotInput {
  const backends: BackendView[] = [];
  for (let n = 0; n < names; n++) {
    for (let i = 0; i < perName; i++) {
      const k = n * perName + i;
      backends.push({ id: `b${k}`, name: `n${n}.${ZONE}`, address: `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`, port: 80, weight: 100, region: 'us', serve: !(n === 0 && i === flip % perName) });
    }
  }
  return {
    zones: [{ apex: ZONE, nameservers: [`ns1.${ZONE}`], hostmaster: `hostmaster.${ZONE}`, soaTtlSeconds: 60 }],
    names: Array.from({ length: names }, (_, n) => ({ name: `n${n}.${ZONE}`, policy: 'round-robin' as const, ttlSeconds: 30, maxAnswers: 3 })),
    backends,
    returnLastHealthy: false,
    nowMs: Date.now(),
    ...(signer ? { signer } : {}),
  };
}

function encodedSets(s: Snapshot): number {
  let n = 0;
  for (const e of s.names.values()) n += (e.a ? 1 : 0) + (e.aaaa ? 1 : 0);
  return n;
}

function pct(xs: number[], p: number): number {
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.floor((p / 100) * v.length))]!;
}

const lines: string[] = [`# worker replication, ${WORKERS} workers, ${ROUNDS} publishes per size, ${new Date().toISOString()}`, ''];
lines.push('| names x backends | signed | bytes KiB | answer sets, sent per publish p50 | encode ms p50 | publish -> all workers answer, ms p50 | p95 | max |', '|---|---|---:|---:|---:|---:|---:|---:|');
for (const signed of [false, true]) {
  for (const [names, perName] of [
    [10, 3],
    [100, 10],
    [1000, 10],
  ] as const) {
    const dnssec = signed ? fixture.dnssec : undefined;
    const server = new DnsServer({ host: '127.0.0.1', port: 0, maxUdpPayload: 1232, tcpIdleTimeoutMs: 2000, tcpMaxConnections: 10, workers: WORKERS });
    let snapshot: Snapshot = buildSnapshot(input(names, perName, 0, dnssec), null);
    server.publish(snapshot);
    await server.start();
    const pool = server.workerPool!;
    const encodeMs: number[] = [];
    const publisher = new ReplicaPublisher(7 * 86_400_000);
    let arenaKiB = 0;
    const peer = newReceiverState();
    const sent: number[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      snapshot = buildSnapshot(input(names, perName, r, dnssec), snapshot);
      dnssec?.afterBuild();
      const e0 = performance.now();
      const encoded = publisher.encode(snapshot);
      arenaKiB = [...new Set([encoded.replica.bytes, ...[...encoded.sets.values()].map((s) => s.bytes)])].reduce((n, b) => n + b.arena.byteLength, 0) / 1024;
      encodeMs.push(performance.now() - e0);
      const m = publisher.message(encoded, peer);
      if (r > 1) sent.push(m.sets.length);
      server.publish(snapshot);
      await Promise.race([pool.whenReplicated(), new Promise((res) => setTimeout(res, 10_000))]);
      await new Promise((res) => setTimeout(res, 20));
    }
    const delays = pool.replicationDelaysMs.slice(-ROUNDS * WORKERS);
    lines.push(`| ${names} x ${perName} | ${signed ? 'yes' : 'no'} | ${arenaKiB.toFixed(0)} | ${pct(sent, 50)} of ${encodedSets(snapshot)} | ${pct(encodeMs, 50).toFixed(2)} | ${pct(delays, 50).toFixed(2)} | ${pct(delays, 95).toFixed(2)} | ${Math.max(...delays).toFixed(2)} |`);
    console.error(lines.at(-1));
    await server.close();
  }
}
await fixture.close();
lines.push('', 'Delay = main-thread publish() to a worker acking that it answers from the Snapshot (per worker), encoding included. Bytes = all buffers the Snapshot references (zones, NSEC, answer sets); answer sets are sent to a worker only when it does not have them (the same AnswerSet object, routing data and signatures as before).', '');
console.log(lines.join('\n'));
if (OUT) writeFileSync(OUT, lines.join('\n'));
