/**
 * OpenGSLB's application messages, carried in memberlist user messages: the original's JSON
 * envelope `{"type","agent_id","region","timestamp","payload"}` (types heartbeat, register,
 * deregister, agent_auth, latency_report; behaviour inventory section 6) and its node meta JSON.
 *
 * Our addition is an optional `auth` member (Go's encoding/json ignores unknown members, so a Go
 * Overwatch still reads our envelopes): the agent's service, the SHA-256 fingerprint of its public
 * key, a per-agent sequence number and an ECDSA P-256 signature over the canonical JSON of
 * everything else. A message without `auth` decodes fine; refusing it is the Overwatch's policy
 * (`verifyEnvelope` says why), never a parse error.
 * Pure (node:crypto only); nothing here throws on untrusted input.
 */
import { createHash, createPublicKey, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { p1363ToDer } from '../ecdsa-signature.ts';

export const AppMessageType = {
  Heartbeat: 'heartbeat',
  Register: 'register',
  Deregister: 'deregister',
  AgentAuth: 'agent_auth',
  LatencyReport: 'latency_report',
} as const;
export type AppMessageType = (typeof AppMessageType)[keyof typeof AppMessageType];

const KNOWN_TYPES = new Set<string>(Object.values(AppMessageType));

/** An agent's check definition as sent on the wire (the Overwatch validates with it). */
export interface WireHealthCheck {
  type: 'http' | 'https' | 'tcp';
  path?: string;
  host?: string;
  failure_threshold?: number;
  success_threshold?: number;
}

export interface BackendReport {
  service: string;
  address: string;
  port: number;
  weight: number;
  healthy: boolean;
  health_check?: WireHealthCheck;
}
export interface PredictiveReport {
  bleeding: boolean;
  bleed_reason?: string;
  bleeding_at?: string;
  cpu_percent?: number;
  mem_percent?: number;
  error_rate?: number;
  /** Ours: normal | bleeding | draining | recovered. Absent from the original's agents. */
  state?: string;
  /** Ours: weight multiplier while bleeding (0-1). */
  weight_factor?: number;
}
export interface HeartbeatPayload {
  /** null: a pure liveness heartbeat (the original's agents send these every heartbeat.interval). */
  backends: BackendReport[] | null;
  /** Ours: the agent's heartbeat.interval and missed_threshold, so the Overwatch can count missed heartbeats. */
  interval_ms?: number;
  missed_threshold?: number;
  fingerprint?: string;
  predictive?: PredictiveReport;
}
export interface RegisterPayload {
  service: string;
  address: string;
  port: number;
  weight: number;
}
export interface DeregisterPayload {
  service: string;
  address: string;
  port: number;
}
export interface AgentAuthPayload {
  /** PEM text. Go marshals []byte as base64; both spellings are accepted on decode. */
  certificate_pem: string;
  service_token: string;
  fingerprint: string;
}
export interface LatencySubnet {
  subnet: string;
  ewma_ns: number;
  sample_count: number;
  last_seen: string;
}
export interface LatencyReportPayload {
  backend: string;
  subnets: LatencySubnet[];
}

export interface PayloadByType {
  heartbeat: HeartbeatPayload;
  register: RegisterPayload;
  deregister: DeregisterPayload;
  agent_auth: AgentAuthPayload;
  latency_report: LatencyReportPayload;
}

export interface EnvelopeAuth {
  /** Scheme version. */
  v: 1;
  /** The service whose token the agent presented at first contact. */
  service: string;
  /** Hex SHA-256 of the agent's public key (SPKI DER): must equal the pinned key's. */
  key_id: string;
  /** Strictly increasing per agent; a repeated or older value is a replay. */
  seq: number;
  /** base64 ECDSA P-256 / SHA-256 signature (IEEE P1363 r||s) over signingInput(). */
  sig: string;
}

export type Envelope = {
  [K in AppMessageType]: {
    type: K;
    agent_id: string;
    region: string;
    /** RFC 3339 (Go writes RFC3339Nano). */
    timestamp: string;
    payload: PayloadByType[K];
    auth?: EnvelopeAuth;
  };
}[AppMessageType];

/**
 * `envelope` has the validated, typed payload; `signed` is the same envelope with the payload
 * exactly as received, which is what a signature covers (a decoder that drops or normalises a
 * field must not break verification).
 */
export type DecodeResult = { ok: true; envelope: Envelope; signed: Envelope; timestampMs: number } | { ok: false; error: string };

// ------------------------------------------------------------------------------------------------
// Field validation (lenient about extra fields, strict about the ones we use)

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isPort = (v: unknown): v is number => isNum(v) && Number.isInteger(v) && v >= 1 && v <= 65535;

function backendReport(v: unknown): BackendReport | string {
  if (!isObj(v)) return 'backend must be an object';
  if (!isStr(v.service) || v.service === '') return 'backend.service must be a non-empty string';
  if (!isStr(v.address) || v.address === '') return 'backend.address must be a non-empty string';
  if (!isPort(v.port)) return 'backend.port must be an integer 1-65535';
  const weight = v.weight === undefined ? 100 : v.weight;
  if (!isNum(weight) || weight < 0) return 'backend.weight must be a non-negative number';
  if (typeof v.healthy !== 'boolean') return 'backend.healthy must be a boolean';
  const out: BackendReport = { service: v.service, address: v.address, port: v.port, weight, healthy: v.healthy };
  if (v.health_check !== undefined) {
    const h = v.health_check;
    if (!isObj(h) || (h.type !== 'http' && h.type !== 'https' && h.type !== 'tcp')) return 'backend.health_check.type must be http, https or tcp';
    const hc: WireHealthCheck = { type: h.type };
    if (isStr(h.path)) hc.path = h.path;
    if (isStr(h.host)) hc.host = h.host;
    if (isNum(h.failure_threshold)) hc.failure_threshold = h.failure_threshold;
    if (isNum(h.success_threshold)) hc.success_threshold = h.success_threshold;
    out.health_check = hc;
  }
  return out;
}

function decodePayload(type: AppMessageType, p: unknown): PayloadByType[AppMessageType] | string {
  if (!isObj(p)) return 'payload must be an object';
  switch (type) {
    case 'heartbeat': {
      let backends: BackendReport[] | null = null;
      if (p.backends !== null && p.backends !== undefined) {
        if (!Array.isArray(p.backends)) return 'heartbeat.backends must be an array or null';
        backends = [];
        for (const b of p.backends) {
          const r = backendReport(b);
          if (typeof r === 'string') return `heartbeat.${r}`;
          backends.push(r);
        }
      }
      const out: HeartbeatPayload = { backends };
      if (isStr(p.fingerprint) && p.fingerprint !== '') out.fingerprint = p.fingerprint;
      if (isNum(p.interval_ms) && p.interval_ms > 0) out.interval_ms = p.interval_ms;
      if (isNum(p.missed_threshold) && p.missed_threshold >= 1) out.missed_threshold = Math.floor(p.missed_threshold);
      if (p.predictive !== undefined && p.predictive !== null) {
        const q = p.predictive;
        if (!isObj(q) || typeof q.bleeding !== 'boolean') return 'heartbeat.predictive.bleeding must be a boolean';
        const pr: PredictiveReport = { bleeding: q.bleeding };
        if (isStr(q.bleed_reason)) pr.bleed_reason = q.bleed_reason;
        if (isStr(q.bleeding_at)) pr.bleeding_at = q.bleeding_at;
        if (isNum(q.cpu_percent)) pr.cpu_percent = q.cpu_percent;
        if (isNum(q.mem_percent)) pr.mem_percent = q.mem_percent;
        if (isNum(q.error_rate)) pr.error_rate = q.error_rate;
        if (isStr(q.state)) pr.state = q.state;
        if (isNum(q.weight_factor) && q.weight_factor >= 0 && q.weight_factor <= 1) pr.weight_factor = q.weight_factor;
        out.predictive = pr;
      }
      return out;
    }
    case 'register': {
      const r = backendReport({ ...p, healthy: true });
      return typeof r === 'string' ? `register.${r.replace(/^backend\./, '')}` : { service: r.service, address: r.address, port: r.port, weight: r.weight };
    }
    case 'deregister': {
      if (!isStr(p.service) || p.service === '') return 'deregister.service must be a non-empty string';
      if (!isStr(p.address) || p.address === '') return 'deregister.address must be a non-empty string';
      if (!isPort(p.port)) return 'deregister.port must be an integer 1-65535';
      return { service: p.service, address: p.address, port: p.port };
    }
    case 'agent_auth': {
      if (!isStr(p.certificate_pem) || p.certificate_pem === '') return 'agent_auth.certificate_pem must be a non-empty string';
      if (!isStr(p.service_token)) return 'agent_auth.service_token must be a string';
      const pem = p.certificate_pem.startsWith('-----BEGIN') ? p.certificate_pem : Buffer.from(p.certificate_pem, 'base64').toString('utf8');
      if (!pem.startsWith('-----BEGIN')) return 'agent_auth.certificate_pem is neither PEM nor base64 of PEM';
      return { certificate_pem: pem, service_token: p.service_token, fingerprint: isStr(p.fingerprint) ? p.fingerprint : '' };
    }
    case 'latency_report': {
      if (!isStr(p.backend) || p.backend === '') return 'latency_report.backend must be a non-empty string';
      if (!Array.isArray(p.subnets)) return 'latency_report.subnets must be an array';
      const subnets: LatencySubnet[] = [];
      for (const s of p.subnets) {
        if (!isObj(s) || !isStr(s.subnet) || !isNum(s.ewma_ns) || s.ewma_ns < 0) return 'latency_report.subnets[] needs subnet and ewma_ns';
        subnets.push({
          subnet: s.subnet,
          ewma_ns: s.ewma_ns,
          sample_count: isNum(s.sample_count) ? s.sample_count : 0,
          last_seen: isStr(s.last_seen) ? s.last_seen : '',
        });
      }
      return { backend: p.backend, subnets };
    }
  }
}

function decodeAuth(a: unknown): EnvelopeAuth | string | undefined {
  if (a === undefined || a === null) return undefined;
  if (!isObj(a) || a.v !== 1) return 'auth.v must be 1';
  if (!isStr(a.service) || !isStr(a.key_id) || !isStr(a.sig)) return 'auth needs service, key_id and sig strings';
  if (!isNum(a.seq) || !Number.isSafeInteger(a.seq) || a.seq < 0) return 'auth.seq must be a non-negative integer';
  return { v: 1, service: a.service, key_id: a.key_id, seq: a.seq, sig: a.sig };
}

/** Decodes and validates an envelope from user-message bytes. Never throws. */
export function decodeEnvelope(buf: Uint8Array, maxBytes = 256 * 1024): DecodeResult {
  if (buf.length > maxBytes) return { ok: false, error: `message larger than ${maxBytes} bytes` };
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8'));
  } catch {
    // JSON.parse is the only way to know; its failure is a status for us.
    return { ok: false, error: 'not JSON' };
  }
  if (!isObj(v)) return { ok: false, error: 'envelope must be a JSON object' };
  if (!isStr(v.type) || !KNOWN_TYPES.has(v.type)) return { ok: false, error: `unknown message type ${JSON.stringify(v.type)}` };
  if (!isStr(v.agent_id) || v.agent_id === '') return { ok: false, error: 'agent_id must be a non-empty string' };
  if (!isStr(v.region)) return { ok: false, error: 'region must be a string' };
  if (!isStr(v.timestamp)) return { ok: false, error: 'timestamp must be an RFC 3339 string' };
  const timestampMs = Date.parse(v.timestamp);
  if (!Number.isFinite(timestampMs)) return { ok: false, error: `timestamp ${JSON.stringify(v.timestamp)} is not RFC 3339` };
  const type = v.type as AppMessageType;
  const payload = decodePayload(type, v.payload);
  if (typeof payload === 'string') return { ok: false, error: payload };
  const auth = decodeAuth(v.auth);
  if (typeof auth === 'string') return { ok: false, error: auth };
  const envelope = { type, agent_id: v.agent_id, region: v.region, timestamp: v.timestamp, payload, ...(auth ? { auth } : {}) } as Envelope;
  const signed = { ...envelope, payload: v.payload } as Envelope;
  return { ok: true, envelope, signed, timestampMs };
}

/** JSON bytes of an envelope (member order as the original: type, agent_id, region, timestamp, payload). */
export function encodeEnvelope(env: Envelope): Buffer {
  const out: Obj = { type: env.type, agent_id: env.agent_id, region: env.region, timestamp: env.timestamp, payload: env.payload };
  if (env.auth) out.auth = env.auth;
  return Buffer.from(JSON.stringify(out), 'utf8');
}

/** Messages whose loss would leave an Overwatch wrong: send them with sendReliable (TCP). */
export function needsReliableDelivery(type: AppMessageType): boolean {
  return type === 'register' || type === 'deregister' || type === 'agent_auth';
}

// ------------------------------------------------------------------------------------------------
// Signatures

/** JSON with object keys sorted at every level: the same value always gives the same bytes. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  const keys = Object.keys(v as Obj)
    .filter((k) => (v as Obj)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Obj)[k])}`).join(',')}}`;
}

const DOMAIN = 'opengslb-gossip-envelope-v1\n';

/** The bytes that are signed: a domain tag and the canonical envelope with `auth.sig` left out. */
export function signingInput(env: Envelope, auth: Omit<EnvelopeAuth, 'sig'>): Buffer {
  const body = { type: env.type, agent_id: env.agent_id, region: env.region, timestamp: env.timestamp, payload: env.payload, auth: { v: auth.v, service: auth.service, key_id: auth.key_id, seq: auth.seq } };
  return Buffer.from(DOMAIN + canonicalJson(body), 'utf8');
}

const keyIds = new WeakMap<KeyObject, string>();

/** Hex SHA-256 of a public key's SPKI DER encoding (what an Overwatch pins); cached per key object. */
export function publicKeyId(key: KeyObject): string {
  let id = keyIds.get(key);
  if (id === undefined) {
    const pub = key.type === 'private' ? createPublicKey(key) : key;
    id = createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex');
    keyIds.set(key, id);
  }
  return id;
}

/** Returns a copy of `env` signed by the agent's P-256 private key. */
export function signEnvelope(env: Envelope, privateKey: KeyObject, service: string, seq: number): Envelope {
  const auth = { v: 1 as const, service, key_id: publicKeyId(privateKey), seq };
  const sig = cryptoSign('sha256', signingInput(env, auth), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64');
  return { ...env, auth: { ...auth, sig } } as Envelope;
}

export const AuthStatus = {
  Ok: 'ok',
  Unsigned: 'unsigned',
  KeyMismatch: 'key_mismatch',
  BadSignature: 'bad_signature',
  Replayed: 'replayed',
  Stale: 'stale',
} as const;
export type AuthStatus = (typeof AuthStatus)[keyof typeof AuthStatus];

export interface VerifyOptions {
  /** The pinned public key of `env.agent_id`. */
  publicKey: KeyObject;
  /** Highest sequence number already accepted from this agent (-1 if none). */
  lastSeq: number;
  nowMs: number;
  /** Allowed |now - timestamp|; older or future-dated messages are stale. */
  maxSkewMs: number;
  timestampMs: number;
}

/**
 * Checks key, sequence, freshness and signature; the caller records `env.auth.seq` on Ok. The cheap
 * checks come first, so a replayed or stale message (captured and re-sent, or forged with an old
 * sequence) is dropped before the ECDSA verification a forged signature costs.
 */
export function verifyEnvelope(env: Envelope, o: VerifyOptions): AuthStatus {
  const auth = env.auth;
  if (!auth) return AuthStatus.Unsigned;
  if (auth.key_id !== publicKeyId(o.publicKey)) return AuthStatus.KeyMismatch;
  if (auth.seq <= o.lastSeq) return AuthStatus.Replayed;
  if (Math.abs(o.nowMs - o.timestampMs) > o.maxSkewMs) return AuthStatus.Stale;
  let ok = false;
  try {
    // Verified as DER: Node's P1363 path adds ~50 µs per call, a third of the cost of a forged-signature flood.
    const der = p1363ToDer(Buffer.from(auth.sig, 'base64'));
    ok = der !== undefined && cryptoVerify('sha256', signingInput(env, auth), o.publicKey, der);
  } catch {
    // a malformed signature is a failed signature
    ok = false;
  }
  return ok ? AuthStatus.Ok : AuthStatus.BadSignature;
}

// ------------------------------------------------------------------------------------------------
// Node meta (memberlist Meta, <= 512 bytes)

export interface NodeMeta {
  role: 'agent' | 'overwatch';
  region: string;
  version: string;
  timestamp: string;
  agent_id?: string;
  node_id?: string;
}

export function encodeNodeMeta(m: NodeMeta): Buffer {
  return Buffer.from(JSON.stringify(m), 'utf8');
}

/** Decodes node meta; undefined when it is not the original's JSON (Go treats that as "maybe an Overwatch"). */
export function decodeNodeMeta(buf: Uint8Array): NodeMeta | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8'));
    if (!isObj(v) || (v.role !== 'agent' && v.role !== 'overwatch')) return undefined;
    const m: NodeMeta = {
      role: v.role,
      region: isStr(v.region) ? v.region : '',
      version: isStr(v.version) ? v.version : '',
      timestamp: isStr(v.timestamp) ? v.timestamp : '',
    };
    if (isStr(v.agent_id)) m.agent_id = v.agent_id;
    if (isStr(v.node_id)) m.node_id = v.node_id;
    return m;
  } catch {
    return undefined;
  }
}
