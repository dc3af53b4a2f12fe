import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, ApiErrorCode, httpErrorOf } from '../../src/api/index.ts';
import { ControlError, ControlErrorCode } from '../../src/overwatch/index.ts';
import { StoreError, StoreErrorCode } from '../../src/store/index.ts';

const LIMIT = 65536;

test('every ApiError code has a fixed status', () => {
  const expected: Record<string, number> = {
    ERR_API_BAD_REQUEST: 400,
    ERR_API_FORBIDDEN: 403,
    ERR_API_NOT_FOUND: 404,
    ERR_API_METHOD_NOT_ALLOWED: 405,
    ERR_API_CONFLICT: 409,
    ERR_API_BODY_TOO_LARGE: 413,
    ERR_API_UNSUPPORTED_MEDIA_TYPE: 415,
    ERR_API_INTERNAL: 500,
    ERR_API_UNAVAILABLE: 503,
    ERR_API_INSUFFICIENT_STORAGE: 507,
    ERR_API_CONFIG: 500,
    ERR_API_LISTEN: 500,
  };
  assert.deepEqual(Object.values(ApiErrorCode).sort(), Object.keys(expected).sort());
  for (const code of Object.values(ApiErrorCode)) {
    const mapped = httpErrorOf(new ApiError(code, 'm'), LIMIT);
    assert.equal(mapped.status, expected[code], code);
    assert.deepEqual(mapped.body, { error: 'm', code: expected[code] });
  }
});

test('a read-only item keeps a message that already points at the config file', () => {
  const mapped = httpErrorOf(new ControlError(ControlErrorCode.ReadOnlyItem, 'cannot update config-based server "x" via API; use config file'), LIMIT);
  assert.equal(mapped.status, 409);
  assert.equal(mapped.body.error, 'cannot update config-based server "x" via API; use config file');
});

test('store validation and conflict failures are the client\'s: 400 and 409', () => {
  assert.equal(httpErrorOf(new StoreError(StoreErrorCode.Invalid, '/d/opengslb.db', 'bad record'), LIMIT).status, 400);
  assert.equal(httpErrorOf(new StoreError(StoreErrorCode.Conflict, '/d/opengslb.db', 'key tag reused'), LIMIT).status, 409);
  const corrupt = httpErrorOf(new StoreError(StoreErrorCode.Corrupt, '/d/opengslb.db', 'not a database'), LIMIT);
  assert.equal(corrupt.status, 503);
  assert.equal(corrupt.isUnexpected, false);
});

test('anything else is an unexpected 500 "internal error"', () => {
  for (const err of [new Error('x'), 'a string', undefined, { statusCode: 418 }]) {
    const mapped = httpErrorOf(err, LIMIT);
    assert.equal(mapped.status, 500);
    assert.deepEqual(mapped.body, { error: 'internal error', code: 500 });
    assert.equal(mapped.isUnexpected, true);
  }
});
