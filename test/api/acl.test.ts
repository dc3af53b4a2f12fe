import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, ClientAcl, clientAddress } from '../../src/api/index.ts';

test('admits addresses inside an IPv4 CIDR and refuses those outside', () => {
  const acl = new ClientAcl(['10.0.0.0/8', '192.168.0.0/16']);
  assert.equal(acl.allows('10.200.3.4'), true);
  assert.equal(acl.allows('192.168.77.1'), true);
  assert.equal(acl.allows('11.0.0.1'), false);
  assert.equal(acl.allows('127.0.0.1'), false);
});

test('admits addresses inside an IPv6 CIDR', () => {
  const acl = new ClientAcl(['2001:db8::/32']);
  assert.equal(acl.allows('2001:db8:1::5'), true);
  assert.equal(acl.allows('2001:db9::5'), false);
});

test('an IPv4-mapped IPv6 client matches the IPv4 CIDR', () => {
  const acl = new ClientAcl(['10.0.0.0/8']);
  assert.equal(acl.allows('::ffff:10.1.2.3'), true);
  assert.equal(acl.allows('::FFFF:10.1.2.3'), true);
  assert.equal(acl.allows('::ffff:11.1.2.3'), false);
});

test('a bare IP is a host route', () => {
  const acl = new ClientAcl(['10.0.0.7', '2001:db8::7']);
  assert.equal(acl.allows('10.0.0.7'), true);
  assert.equal(acl.allows('10.0.0.8'), false);
  assert.equal(acl.allows('2001:db8::7'), true);
  assert.equal(acl.allows('2001:db8::8'), false);
});

test('an empty list admits loopback only, as the original', () => {
  const acl = new ClientAcl([]);
  assert.equal(acl.allows('127.0.0.1'), true);
  assert.equal(acl.allows('::1'), true);
  assert.equal(acl.allows('10.0.0.1'), false);
});

test('an address that is not an IP is never admitted', () => {
  const acl = new ClientAcl(['0.0.0.0/0', '::/0']);
  assert.equal(acl.allows(''), false);
  assert.equal(acl.allows('unknown'), false);
  assert.equal(acl.allows('10.0.0.1, 10.0.0.2'), false);
});

test('refuses an entry that is neither a CIDR nor an IP, naming its index', () => {
  assert.throws(
    () => new ClientAcl(['10.0.0.0/8', '10.0.0.0/33']),
    (err: unknown) => err instanceof ApiError && err.code === 'ERR_API_CONFIG' && err.message === 'api.allowed_networks[1]: expected a CIDR such as 10.0.0.0/8, got "10.0.0.0/33"',
  );
  assert.throws(() => new ClientAcl(['intranet']), /api\.allowed_networks\[0\]/);
});

const req = (remoteAddress: string | undefined, headers: Record<string, string | string[]> = {}) => ({ headers, socket: { remoteAddress } });

test('the client is the socket peer unless proxy headers are trusted', () => {
  assert.equal(clientAddress(req('10.9.9.9', { 'x-forwarded-for': '192.0.2.1' }), false), '10.9.9.9');
  assert.equal(clientAddress(req('10.9.9.9', { 'x-real-ip': '192.0.2.1' }), false), '10.9.9.9');
  assert.equal(clientAddress(req(undefined), false), '');
});

test('with trusted proxy headers the client is the first X-Forwarded-For entry, trimmed', () => {
  assert.equal(clientAddress(req('10.9.9.9', { 'x-forwarded-for': '  192.0.2.1 , 10.0.0.1' }), true), '192.0.2.1');
  assert.equal(clientAddress(req('10.9.9.9', { 'x-forwarded-for': '2001:db8::1' }), true), '2001:db8::1');
  // some proxies append the client port
  assert.equal(clientAddress(req('10.9.9.9', { 'x-forwarded-for': '192.0.2.1:5555' }), true), '192.0.2.1');
  assert.equal(clientAddress(req('10.9.9.9', { 'x-forwarded-for': '[2001:db8::1]:5555' }), true), '2001:db8::1');
});

test('with trusted proxy headers X-Real-IP is used when there is no X-Forwarded-For, else the socket', () => {
  assert.equal(clientAddress(req('10.9.9.9', { 'x-real-ip': ' 192.0.2.9 ' }), true), '192.0.2.9');
  assert.equal(clientAddress(req('10.9.9.9', {}), true), '10.9.9.9');
  assert.equal(clientAddress(req('10.9.9.9', { 'x-forwarded-for': '' }), true), '10.9.9.9');
});
