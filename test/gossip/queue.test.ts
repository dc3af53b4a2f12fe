import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TransmitLimitedQueue, retransmitLimit } from '../../src/gossip/queue.ts';

const msg = (s: string): Buffer => Buffer.from(s);

test('retransmit limit is mult x ceil(log10(n + 1)): 4, 8, 12 on the LAN profile', () => {
  assert.equal(retransmitLimit(4, 1), 4);
  assert.equal(retransmitLimit(4, 9), 4);
  assert.equal(retransmitLimit(4, 10), 8);
  assert.equal(retransmitLimit(4, 99), 8);
  assert.equal(retransmitLimit(4, 999), 12);
});

test('a newer broadcast about a node replaces the queued one and finishes it', () => {
  const q = new TransmitLimitedQueue(4);
  let finished = 0;
  q.queue(msg('suspect-b'), 'b', () => finished++);
  q.queue(msg('alive-b'), 'b');
  assert.equal(q.length, 1);
  assert.equal(finished, 1);
  assert.deepEqual(q.getBroadcasts(2, 1000, 3), [msg('alive-b')]);
});

test('sends each broadcast at most the retransmit limit, then finishes it', () => {
  const q = new TransmitLimitedQueue(1); // limit 1 x ceil(log10(4)) = 1
  let finished = false;
  q.queue(msg('x'), 'x', () => (finished = true));
  assert.equal(q.getBroadcasts(2, 100, 3).length, 1);
  assert.equal(finished, true);
  assert.equal(q.getBroadcasts(2, 100, 3).length, 0);
});

test('picks fewest transmissions first, then the largest that fits, then the newest', () => {
  const q = new TransmitLimitedQueue(4);
  q.queue(msg('aaaa'), 'a');
  q.getBroadcasts(0, 100, 3); // a: 1 transmit
  q.queue(msg('bb'), 'b');
  q.queue(msg('cccccc'), 'c');
  q.queue(msg('dd'), 'd');
  // limit leaves room for c (6+1) and one 2-byte message (2+1): d is newer than b
  assert.deepEqual(q.getBroadcasts(1, 10, 3), [msg('cccccc'), msg('dd')]);
});

test('prune keeps the least-sent broadcasts', () => {
  const q = new TransmitLimitedQueue(4);
  for (let i = 0; i < 10; i++) q.queue(msg(`m${i}`));
  q.prune(3);
  assert.equal(q.length, 3);
});

test('bucketed selection equals the reference rule (sort everything, take what fits) (property)', async () => {
  const { default: fc } = await import('fast-check');
  type Op = { kind: 'q'; len: number; name: number | null } | { kind: 'g'; limit: number; overhead: number; n: number };
  const op = fc.oneof(
    fc.record({ kind: fc.constant('q' as const), len: fc.integer({ min: 1, max: 60 }), name: fc.option(fc.integer({ min: 0, max: 5 })) }),
    fc.record({ kind: fc.constant('g' as const), limit: fc.integer({ min: 0, max: 200 }), overhead: fc.integer({ min: 0, max: 3 }), n: fc.integer({ min: 1, max: 200 }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops: Op[]) => {
      const q = new TransmitLimitedQueue(2);
      // reference model
      let ref: { t: number; id: number; msg: Buffer; name: number | null }[] = [];
      let id = 0;
      let seq = 0;
      for (const o of ops) {
        if (o.kind === 'q') {
          const m = Buffer.alloc(o.len, seq++ % 256);
          q.queue(m, o.name === null ? undefined : String(o.name));
          if (o.name !== null) ref = ref.filter((x) => x.name !== o.name);
          if (ref.length === 0) id = 0;
          ref.push({ t: 0, id: ++id, msg: m, name: o.name });
        } else {
          const got = q.getBroadcasts(o.overhead, o.limit, o.n);
          const max = retransmitLimit(2, o.n);
          const want: Buffer[] = [];
          const taken = new Set<object>();
          let used = 0;
          for (const x of ref.toSorted((a, b) => a.t - b.t || b.msg.length - a.msg.length || b.id - a.id)) {
            const free = o.limit - used - o.overhead;
            if (free <= 0) break;
            if (x.msg.length > free) continue;
            used += o.overhead + x.msg.length;
            want.push(x.msg);
            x.t++;
            taken.add(x);
          }
          // as Go: only a message just sent is retired when it reaches the limit
          ref = ref.filter((x) => !taken.has(x) || x.t < max);
          if (ref.length === 0) id = 0;
          assert.deepEqual(got, want);
          assert.equal(q.length, ref.length);
        }
      }
    }),
    { numRuns: 300 },
  );
});
