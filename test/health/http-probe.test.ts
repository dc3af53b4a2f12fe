import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, test } from 'node:test';
import { healthCheckUrl, healthCheckUserAgent, probeHttp } from '../../src/health/index.ts';
import { blackholePort, checkConfig, closedPort, hasIpv6Loopback, startHttpServer, startHttpsServer, startRawServer } from './test-servers.ts';

const local = (port: number) => ({ address: '127.0.0.1', port });
const never = new AbortController().signal;
const ipv6 = await hasIpv6Loopback();
const noIpv6 = ipv6 ? false : 'skipped: this machine cannot listen on ::1 (no IPv6 loopback)';

/** A self-signed certificate for health.test and 127.0.0.1, made with openssl at test time. */
function makeCertificate(): { key: string; cert: string } | string {
  const dir = mkdtempSync(join(tmpdir(), 'opengslb-health-tls-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2',
        '-subj', '/CN=health.test', '-addext', 'subjectAltName=DNS:health.test,IP:127.0.0.1',
      ],
      { stdio: 'pipe' },
    );
  } catch (err) {
    return `skipped: could not create a test certificate with openssl (${(err as Error).message.split('\n')[0]})`;
  }
  return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
}
const tls = makeCertificate();
const noTls = typeof tls === 'string' ? tls : false;
const tlsPair = (): { key: string; cert: string } => tls as { key: string; cert: string };

test('a 200 answer is healthy and reports its status and latency', async (t) => {
  const { port } = await startHttpServer(t, (_req, res) => res.end('ok'));
  const result = await probeHttp(local(port), checkConfig(), never);
  assert.equal(result.ok, true);
  assert.equal(result.statusCode, 200);
  assert.equal(result.error, undefined);
  assert.ok(result.latencyMs >= 0 && result.latencyMs < 2000);
});

test('any 2xx is healthy (204 No Content)', async (t) => {
  const { port } = await startHttpServer(t, (_req, res) => res.writeHead(204).end());
  const result = await probeHttp(local(port), checkConfig(), never);
  assert.deepEqual([result.ok, result.statusCode], [true, 204]);
});

test('a 503 answer is unhealthy with error "HTTP 503"', async (t) => {
  const { port } = await startHttpServer(t, (_req, res) => res.writeHead(503).end('down'));
  const result = await probeHttp(local(port), checkConfig(), never);
  assert.deepEqual([result.ok, result.statusCode, result.error], [false, 503, 'HTTP 503']);
});

test('a 301 redirect is not followed and is unhealthy', async (t) => {
  const seen: string[] = [];
  const { port } = await startHttpServer(t, (req, res) => {
    seen.push(req.url ?? '');
    if (req.url === '/health') res.writeHead(301, { location: '/moved' }).end();
    else res.end('ok');
  });
  const result = await probeHttp(local(port), checkConfig(), never);
  assert.deepEqual([result.ok, result.statusCode, result.error], [false, 301, 'HTTP 301']);
  assert.deepEqual(seen, ['/health']);
});

test('sends the configured path, Host header, user agent and Connection: close', async (t) => {
  let seen: { url?: string; host?: string; ua?: string; connection?: string } = {};
  const { port } = await startHttpServer(t, (req, res) => {
    seen = { url: req.url, host: req.headers.host, ua: req.headers['user-agent'], connection: req.headers.connection };
    res.end();
  });
  const result = await probeHttp(local(port), checkConfig({ path: '/custom/ready?probe=1', host: 'app.example.com' }), never);
  assert.equal(result.ok, true);
  assert.deepEqual(seen, { url: '/custom/ready?probe=1', host: 'app.example.com', ua: healthCheckUserAgent, connection: 'close' });
  assert.equal(healthCheckUserAgent, 'OpenGSLB-HealthCheck/1.0');
});

test('without a configured host the Host header is address:port, and an empty path requests /', async (t) => {
  let seen: { url?: string; host?: string } = {};
  const { port } = await startHttpServer(t, (req, res) => {
    seen = { url: req.url, host: req.headers.host };
    res.end();
  });
  await probeHttp(local(port), checkConfig({ path: '' }), never);
  assert.deepEqual(seen, { url: '/', host: `127.0.0.1:${port}` });
});

test('opens a new connection for every check and closes it afterwards (no pooling)', async (t) => {
  const { port, sockets } = await startHttpServer(t, (_req, res) => res.end('ok'));
  assert.equal((await probeHttp(local(port), checkConfig(), never)).ok, true);
  assert.equal((await probeHttp(local(port), checkConfig(), never)).ok, true);
  assert.equal(sockets.length, 2);
  await Promise.all(sockets.map((s) => (s.closed ? undefined : once(s, 'close'))));
});

test('brackets IPv6 literals in the URL and checks a backend on ::1', { skip: noIpv6 }, async (t) => {
  let host: string | undefined;
  const { port } = await startHttpServer(t, (req, res) => {
    host = req.headers.host;
    res.end();
  }, '::1');
  const result = await probeHttp({ address: '::1', port }, checkConfig(), never);
  assert.equal(result.ok, true, result.error);
  assert.equal(host, `[::1]:${port}`);
});

test('healthCheckUrl brackets IPv6 literals only', () => {
  assert.equal(healthCheckUrl('http', { address: '2001:db8::1', port: 80 }, '/health'), 'http://[2001:db8::1]:80/health');
  assert.equal(healthCheckUrl('https', { address: '::1', port: 8443 }, ''), 'https://[::1]:8443/');
  assert.equal(healthCheckUrl('http', { address: '10.0.0.1', port: 8080 }, 'ready'), 'http://10.0.0.1:8080/ready');
  assert.equal(healthCheckUrl('http', { address: 'app.internal', port: 80 }, '/h'), 'http://app.internal:80/h');
});

test('a server that accepts and never answers times out within timeoutMs', async (t) => {
  const { port } = await startRawServer(t, () => {});
  const started = performance.now();
  const result = await probeHttp(local(port), checkConfig({ timeoutMs: 300 }), never);
  const elapsed = performance.now() - started;
  assert.deepEqual([result.ok, result.error, result.statusCode], [false, 'timeout after 300ms', undefined]);
  assert.ok(elapsed >= 290 && elapsed < 300 + 700, `took ${elapsed}ms`);
});

test('a server that sends headers and then stalls the body times out, keeping the status code', async (t) => {
  const { port } = await startHttpServer(t, (_req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('partial');
  });
  const started = performance.now();
  const result = await probeHttp(local(port), checkConfig({ timeoutMs: 300 }), never);
  const elapsed = performance.now() - started;
  assert.deepEqual([result.ok, result.error, result.statusCode], [false, 'timeout after 300ms', 200]);
  assert.ok(elapsed < 300 + 700, `took ${elapsed}ms`);
});

test('an endless body is read up to the cap and then dropped, still healthy', async (t) => {
  const chunk = Buffer.alloc(16 * 1024, 0x61);
  const { port } = await startHttpServer(t, (_req, res) => {
    res.writeHead(200);
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  const result = await probeHttp(local(port), checkConfig({ timeoutMs: 2000 }), never, { maxBodyBytes: 128 * 1024 });
  assert.deepEqual([result.ok, result.statusCode], [true, 200]);
});

test('a refused connection is unhealthy with "connect ECONNREFUSED"', async () => {
  const port = await closedPort();
  const result = await probeHttp(local(port), checkConfig(), never);
  assert.deepEqual([result.ok, result.error], [false, 'connect ECONNREFUSED']);
});

test('a connection closed without an answer is unhealthy', async (t) => {
  const { port } = await startRawServer(t, (socket) => socket.once('data', () => socket.destroy()));
  const result = await probeHttp(local(port), checkConfig(), never);
  assert.equal(result.ok, false);
  assert.equal(result.error, 'connection closed by peer');
});

test('aborting the signal ends a hanging check at once with "aborted"', async (t) => {
  const { server, port } = await startRawServer(t, () => {});
  const controller = new AbortController();
  const accepted = once(server, 'connection');
  const pending = probeHttp(local(port), checkConfig({ timeoutMs: 10_000 }), controller.signal);
  await accepted;
  controller.abort();
  const result = await pending;
  assert.deepEqual([result.ok, result.error], [false, 'aborted']);
  assert.ok(result.latencyMs < 5000);
});

test('an already aborted signal returns "aborted" without connecting', async (t) => {
  const { port, sockets } = await startHttpServer(t, (_req, res) => res.end());
  const result = await probeHttp(local(port), checkConfig(), AbortSignal.abort());
  assert.deepEqual(result, { ok: false, latencyMs: 0, error: 'aborted' });
  assert.equal(sockets.length, 0);
});

test('error strings never carry the request path or its query (it may hold a token)', async () => {
  const port = await closedPort();
  const result = await probeHttp(local(port), checkConfig({ path: '/health?token=s3cr3t' }), never);
  assert.equal(result.ok, false);
  assert.doesNotMatch(result.error ?? '', /s3cr3t|health/);
});

test('https: verifies the certificate against the configured host and sends it as SNI', { skip: noTls }, async (t) => {
  let seen: { servername?: string | false | null; host?: string } = {};
  const { port } = await startHttpsServer(t, tlsPair(), (req, res) => {
    seen = { servername: (req.socket as TLSSocket).servername, host: req.headers.host };
    res.end('ok');
  });
  const result = await probeHttp(local(port), checkConfig({ type: 'https', host: 'health.test' }), never, { ca: tlsPair().cert });
  assert.equal(result.ok, true, result.error);
  assert.deepEqual(seen, { servername: 'health.test', host: 'health.test' });
});

test('https: without a configured host the certificate must match the IP address', { skip: noTls }, async (t) => {
  const { port } = await startHttpsServer(t, tlsPair(), (_req, res) => res.end('ok'));
  const result = await probeHttp(local(port), checkConfig({ type: 'https' }), never, { ca: tlsPair().cert });
  assert.equal(result.ok, true, result.error);
});

test('https: an untrusted (self-signed) certificate is unhealthy', { skip: noTls }, async (t) => {
  const { port } = await startHttpsServer(t, tlsPair(), (_req, res) => res.end('ok'));
  const result = await probeHttp(local(port), checkConfig({ type: 'https', host: 'health.test' }), never);
  assert.equal(result.ok, false);
  assert.match(result.error ?? '', /^tls (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/);
});

test('https: a certificate for another name is unhealthy', { skip: noTls }, async (t) => {
  const { port } = await startHttpsServer(t, tlsPair(), (_req, res) => res.end('ok'));
  const result = await probeHttp(local(port), checkConfig({ type: 'https', host: 'other.test' }), never, { ca: tlsPair().cert });
  assert.deepEqual([result.ok, result.error], [false, 'tls ERR_TLS_CERT_ALTNAME_INVALID']);
});

test('https: a plain-HTTP backend fails the TLS handshake', { skip: noTls }, async (t) => {
  const { port } = await startHttpServer(t, (_req, res) => res.end('ok'));
  const result = await probeHttp(local(port), checkConfig({ type: 'https' }), never, { ca: tlsPair().cert });
  assert.equal(result.ok, false);
  assert.match(result.error ?? '', /^tls ERR_SSL_/);
});

test('a connect that hangs (SYN unanswered) times out within timeoutMs', async (t) => {
  const port = await blackholePort(t);
  if (typeof port === 'string') return t.skip(port);
  for (const type of ['http', 'https'] as const) {
    const started = performance.now();
    const result = await probeHttp(local(port), checkConfig({ type, timeoutMs: 300 }), never);
    const elapsed = performance.now() - started;
    assert.deepEqual([result.ok, result.error], [false, 'timeout after 300ms'], type);
    assert.ok(elapsed < 300 + 700, `${type} took ${elapsed}ms`);
  }
});
