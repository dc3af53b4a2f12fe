/**
 * Turns whatever a socket, TLS or undici threw into a short reason for ProbeResult.error.
 * Only codes and syscalls are used, never `err.message`: messages can carry the URL, and a check path
 * may hold a token (`/health?key=...`).
 */

const tlsVerifyCodes = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
]);

const undiciReasons: Record<string, string> = {
  UND_ERR_SOCKET: 'connection closed by peer',
  UND_ERR_CLOSED: 'connection closed',
  UND_ERR_DESTROYED: 'connection destroyed',
  UND_ERR_INVALID_ARG: 'invalid request',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'response content-length mismatch',
  UND_ERR_INFO: 'invalid response',
};

const maxLength = 120;

export function describeProbeError(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    code?: unknown;
    syscall?: unknown;
    name?: unknown;
  };
  const code = typeof e.code === 'string' ? e.code : undefined;
  let reason: string;
  if (code === undefined) {
    reason = typeof e.name === 'string' && e.name !== '' ? e.name : 'unknown error';
  } else if (tlsVerifyCodes.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) {
    reason = `tls ${code}`;
  } else if (code in undiciReasons) {
    reason = undiciReasons[code];
  } else if (typeof e.syscall === 'string') {
    reason = `${e.syscall} ${code}`; // "connect ECONNREFUSED", "read ECONNRESET", "getaddrinfo ENOTFOUND"
  } else {
    reason = code;
  }
  return reason.length > maxLength ? reason.slice(0, maxLength) : reason;
}
