/**
 * The agent's identity: an ECDSA P-256 key pair made on first start, and a self-signed certificate
 * for it (CN opengslb-agent-<region>, one year, clientAuth), stored at identity.key_path (0600) and
 * identity.cert_path (0644), written atomically. The agent id is derived from the public key, not
 * from the certificate, so renewing the certificate (done when < 30 days remain) keeps the id and
 * the Overwatches' TOFU pin: the original derived it from the certificate and became a new agent
 * at every rotation.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, webcrypto, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync, chmodSync } from 'node:fs';
import path from 'node:path';
// @peculiar/x509 resolves its providers through tsyringe, which needs the Reflect metadata polyfill.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { OpenGslbError } from '../errors.ts';

export interface AgentIdentity {
  agentId: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Hex SHA-256 of the public key (SPKI DER): what Overwatches pin. */
  keyId: string;
  certificatePem: string;
  certificateNotAfterMs: number;
}

const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;
const VALIDITY_MS = 365 * 24 * 3600 * 1000;

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

export function agentIdFor(region: string, keyId: string): string {
  return region ? `${region}-${keyId.slice(0, 12)}` : keyId.slice(0, 12);
}

function writeAtomic(file: string, data: string, mode: number): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o750 });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

async function selfSigned(privateKey: KeyObject, publicKey: KeyObject, region: string, nowMs: number): Promise<string> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = {
    privateKey: await webcrypto.subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), alg, false, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', publicKey.export({ type: 'spki', format: 'der' }), alg, true, ['verify']),
  };
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: `CN=opengslb-agent-${region || 'default'}`,
      notBefore: new Date(nowMs - 60_000),
      notAfter: new Date(nowMs + VALIDITY_MS),
      keys,
      signingAlgorithm: alg,
      extensions: [
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      ],
    },
    webcrypto as unknown as typeof globalThis.crypto,
  );
  return cert.toString('pem');
}

/**
 * Loads the identity from keyPath/certPath, creating the key pair on first start and renewing the
 * certificate when it is missing, unreadable, for another key, or expires within 30 days.
 */
export async function loadOrCreateIdentity(keyPath: string, certPath: string, region: string, nowMs = Date.now()): Promise<AgentIdentity> {
  let privateKey: KeyObject;
  if (existsSync(keyPath)) {
    try {
      privateKey = createPrivateKey(readFileSync(keyPath));
    } catch (err) {
      throw new OpenGslbError('ERR_AGENT_IDENTITY', `cannot read the agent key ${keyPath}: ${(err as Error).message}; move it away to generate a new identity (Overwatches will see a new agent)`, { cause: err });
    }
    if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new OpenGslbError('ERR_AGENT_IDENTITY', `the agent key ${keyPath} is not an ECDSA P-256 key`);
    }
  } else {
    privateKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    writeAtomic(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600);
  }
  const publicKey = createPublicKey(privateKey);
  const keyId = keyIdOf(publicKey);

  let certificatePem = '';
  let notAfterMs = 0;
  if (existsSync(certPath)) {
    try {
      const cert = new x509.X509Certificate(readFileSync(certPath, 'utf8'));
      const certKeyId = createHash('sha256').update(Buffer.from(cert.publicKey.rawData)).digest('hex');
      if (certKeyId === keyId) {
        certificatePem = cert.toString('pem');
        notAfterMs = cert.notAfter.getTime();
      }
    } catch {
      // An unreadable certificate is simply replaced: the key, not the certificate, is the identity.
    }
  }
  if (!certificatePem || notAfterMs - nowMs < RENEW_BEFORE_MS) {
    certificatePem = await selfSigned(privateKey, publicKey, region, nowMs);
    notAfterMs = nowMs + VALIDITY_MS;
    writeAtomic(certPath, certificatePem, 0o644);
  }
  return { agentId: agentIdFor(region, keyId), privateKey, publicKey, keyId, certificatePem, certificateNotAfterMs: notAfterMs };
}
