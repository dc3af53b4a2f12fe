import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseErrorRateBody } from '../../../src/agent/predictive/index.ts';

const value = (body: string): number => {
  const r = parseErrorRateBody(body);
  assert.ok(r.ok, `refused: ${r.ok ? '' : r.error}`);
  return r.value;
};
const refusal = (body: string): string => {
  const r = parseErrorRateBody(body);
  assert.ok(!r.ok, `accepted ${JSON.stringify(body)}`);
  return r.error;
};

test('reads {"error_rate": N} and ignores other members', () => {
  assert.equal(value('{"error_rate": 3.2}'), 3.2);
  assert.equal(value('  {"requests": 100, "error_rate": 0, "window": "60s"}\n'), 0);
});

test('reads a bare number, as JSON or plain text', () => {
  assert.equal(value('3.2'), 3.2);
  assert.equal(value('12\n'), 12);
  assert.equal(value('1e1'), 10);
  assert.equal(value('.5'), 0.5);
});

test('reads the first error_rate sample of a Prometheus text exposition', () => {
  const body = [
    '# HELP http_requests_total Requests.',
    '# TYPE http_requests_total counter',
    'http_requests_total{code="200"} 1027',
    '# HELP error_rate Errors per minute.',
    '# TYPE error_rate gauge',
    'error_rate{app="shop",instance="a"} 4.5 1700000000000',
    'error_rate{app="shop",instance="b"} 9',
    '',
  ].join('\n');
  assert.equal(value(body), 4.5);
  assert.equal(value('error_rate 7'), 7);
});

test('does not mistake a metric that only starts with error_rate for it', () => {
  assert.match(refusal('error_rate_total 5\n'), /neither/);
});

test('refuses negative, non-finite and missing values with a reason', () => {
  assert.match(refusal('{"error_rate": -1}'), /negative/);
  assert.match(refusal('-2'), /negative/);
  assert.match(refusal('{"error_rate": "3"}'), /no numeric "error_rate"/);
  assert.match(refusal('{"errors": 3}'), /no numeric "error_rate"/);
  assert.match(refusal('error_rate NaN'), /not a finite number/);
  assert.match(refusal('error_rate +Inf'), /not a finite number/);
  assert.match(refusal('{"error_rate": 1'), /not valid JSON/);
  assert.match(refusal('[1]'), /neither/);
  assert.match(refusal(''), /empty/);
  assert.match(refusal('<html>oops</html>'), /neither/);
});

test('property: never throws on arbitrary text', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (body) => {
      parseErrorRateBody(body);
      parseErrorRateBody(`{${body}`);
      parseErrorRateBody(`error_rate${body}`);
    }),
  );
});

test('property: round-trips any finite non-negative number in all three formats', () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), (n) => {
      assert.equal(value(JSON.stringify({ error_rate: n })), n);
      assert.equal(value(String(n)), n);
      assert.equal(value(`# TYPE error_rate gauge\nerror_rate{a="b"} ${n}\n`), n);
    }),
  );
});
