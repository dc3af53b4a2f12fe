import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeProbeError } from '../../src/health/describe-probe-error.ts';

const err = (fields: Record<string, unknown>, message = 'GET http://10.0.0.1/health?token=s3cr3t failed'): Error =>
  Object.assign(new Error(message), fields);

test('socket errors read as "<syscall> <code>"', () => {
  assert.equal(describeProbeError(err({ code: 'ECONNREFUSED', syscall: 'connect' })), 'connect ECONNREFUSED');
  assert.equal(describeProbeError(err({ code: 'ECONNRESET', syscall: 'read' })), 'read ECONNRESET');
  assert.equal(describeProbeError(err({ code: 'ENOTFOUND', syscall: 'getaddrinfo' })), 'getaddrinfo ENOTFOUND');
});

test('certificate and TLS errors are prefixed with "tls"', () => {
  assert.equal(describeProbeError(err({ code: 'CERT_HAS_EXPIRED' })), 'tls CERT_HAS_EXPIRED');
  assert.equal(describeProbeError(err({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' })), 'tls ERR_TLS_CERT_ALTNAME_INVALID');
  assert.equal(describeProbeError(err({ code: 'ERR_SSL_WRONG_VERSION_NUMBER' })), 'tls ERR_SSL_WRONG_VERSION_NUMBER');
});

test('undici errors get a plain reason', () => {
  assert.equal(describeProbeError(err({ code: 'UND_ERR_SOCKET' })), 'connection closed by peer');
  assert.equal(describeProbeError(err({ code: 'UND_ERR_SOMETHING_NEW' })), 'UND_ERR_SOMETHING_NEW');
});

test('never repeats the message (it can hold the URL and a token), whatever is thrown', () => {
  assert.equal(describeProbeError(err({})), 'Error');
  assert.equal(describeProbeError(new TypeError('bad /health?token=s3cr3t')), 'TypeError');
  assert.equal(describeProbeError('a string'), 'unknown error');
  assert.equal(describeProbeError(null), 'unknown error');
  assert.equal(describeProbeError(err({ code: 'X'.repeat(500) })).length, 120);
});
