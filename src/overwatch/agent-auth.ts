/**
 * Agent authentication on an Overwatch: service token + trust on first use. An agent's first
 * `agent_auth` message carries its service token and certificate; the token is compared in
 * constant time with every configured `agent_tokens` entry, and the agent is authorised for the
 * services whose token it holds. Its public key is then pinned (data_dir). Every later message must
 * be signed by the pinned key, carry a sequence number above the last one accepted, and a fresh
 * timestamp; the agent id must be the one derived from that key, so no agent can speak for another.
 * A revoked agent is refused until its pin is deleted. The original checked none of this.
 */
import { createHash, timingSafeEqual, X509Certificate, type KeyObject, createPublicKey } from 'node:crypto';
import { AuthStatus, publicKeyId, verifyEnvelope, type Envelope } from '../gossip/index.ts';
import type { StateStore, AgentRecord } from '../store/index.ts';

export type AuthFailure =
  | 'unsigned'
  | 'unknown_agent'
  | 'revoked'
  | 'bad_token'
  | 'bad_certificate'
  | 'agent_id_mismatch'
  | 'pin_mismatch'
  | 'key_mismatch'
  | 'bad_signature'
  | 'replayed'
  | 'stale';

/** Past this many bad signatures for one agent in a second, the rest of that second is refused unverified. */
const SIGNATURE_FAILURES_PER_SECOND = 20;

export type AuthResult = { ok: true; agent: AgentRecord; services: ReadonlySet<string> } | { ok: false; reason: AuthFailure };

/** agent_id = `<region>-<first 12 hex of the key id>` (or the 12 hex alone without a region). */
export function expectedAgentId(region: string, keyId: string): string {
  return region ? `${region}-${keyId.slice(0, 12)}` : keyId.slice(0, 12);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export interface AgentAuthOptions {
  store: StateStore;
  /** service -> token, from the config (re-read on reload). */
  tokens: () => Record<string, string>;
  /** Accepted clock difference between agent and Overwatch. */
  maxSkewMs: number;
}

export class AgentAuthenticator {
  readonly #o: AgentAuthOptions;
  readonly #keys = new Map<string, KeyObject>();
  readonly #lastSeq = new Map<string, number>();
  /**
   * agent_auth goes over TCP while heartbeats go over UDP, so a heartbeat sent after it may arrive
   * first; each kind keeps its own "highest accepted" sequence so neither is refused as a replay.
   */
  readonly #lastAuthSeq = new Map<string, number>();

  constructor(o: AgentAuthOptions) {
    this.#o = o;
  }

  /** Services whose configured token equals `token` (constant-time per comparison, all compared). */
  servicesForToken(token: string): Set<string> {
    const presented = digest(token);
    const out = new Set<string>();
    for (const [service, configured] of Object.entries(this.#o.tokens())) {
      if (timingSafeEqual(presented, digest(configured))) out.add(service);
    }
    return out;
  }

  /**
   * `signed` is the envelope with its payload as received (what the signature covers), `env` the
   * decoded one; `timestampMs` the envelope's timestamp as decodeEnvelope parsed it.
   */
  authenticate(signed: Envelope, env: Envelope, timestampMs: number, nowMs: number): AuthResult {
    if (!env.auth) return { ok: false, reason: 'unsigned' };
    if (env.type === 'agent_auth') return this.#firstContact(signed, env as Extract<Envelope, { type: 'agent_auth' }>, timestampMs, nowMs);
    const agent = this.#o.store.agents.get(env.agent_id);
    if (!agent) return { ok: false, reason: 'unknown_agent' };
    if (agent.revoked) return { ok: false, reason: 'revoked' };
    const key = this.#keyOf(agent);
    if (!key) return { ok: false, reason: 'bad_certificate' };
    // Cheap refusals first, so a flood of forged messages costs no ECDSA verification: a replayed or
    // stale message, or one for an agent whose signatures have just failed too often.
    const lastSeq = this.#lastSeq.get(agent.agentId) ?? -1;
    if (env.auth.seq <= lastSeq) return { ok: false, reason: 'replayed' };
    if (Math.abs(nowMs - timestampMs) > this.#o.maxSkewMs) return { ok: false, reason: 'stale' };
    if (this.#overFailureBudget(agent.agentId, nowMs)) return { ok: false, reason: 'bad_signature' };
    const status = verifyEnvelope(signed, { publicKey: key, lastSeq, nowMs, timestampMs, maxSkewMs: this.#o.maxSkewMs });
    if (status === AuthStatus.BadSignature || status === AuthStatus.KeyMismatch) this.#recordFailure(agent.agentId, nowMs);
    if (status !== AuthStatus.Ok) return { ok: false, reason: status as AuthFailure };
    this.#lastSeq.set(agent.agentId, env.auth.seq);
    return { ok: true, agent, services: new Set(agent.service.split(',').filter(Boolean)) };
  }

  /** Signature failures per agent in the current second; past the budget, no more verifications that second. */
  readonly #failures = new Map<string, { second: number; count: number }>();

  #overFailureBudget(agentId: string, nowMs: number): boolean {
    const f = this.#failures.get(agentId);
    return f !== undefined && f.second === Math.floor(nowMs / 1000) && f.count >= SIGNATURE_FAILURES_PER_SECOND;
  }

  #recordFailure(agentId: string, nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    const f = this.#failures.get(agentId);
    if (f && f.second === second) f.count++;
    else {
      if (this.#failures.size > 10_000) this.#failures.clear();
      this.#failures.set(agentId, { second, count: 1 });
    }
  }

  #keyOf(agent: AgentRecord): KeyObject | undefined {
    let key = this.#keys.get(agent.agentId);
    if (!key && agent.certificatePem) {
      try {
        key = new X509Certificate(agent.certificatePem).publicKey;
        this.#keys.set(agent.agentId, key);
      } catch {
        return undefined;
      }
    }
    return key;
  }

  #firstContact(signed: Envelope, env: Extract<Envelope, { type: 'agent_auth' }>, timestampMs: number, nowMs: number): AuthResult {
    const p = env.payload;
    const services = this.servicesForToken(p.service_token);
    if (services.size === 0) return { ok: false, reason: 'bad_token' };
    let key: KeyObject;
    try {
      key = createPublicKey(new X509Certificate(p.certificate_pem).publicKey.export({ type: 'spki', format: 'pem' }));
    } catch {
      return { ok: false, reason: 'bad_certificate' };
    }
    const keyId = publicKeyId(key);
    if (env.agent_id !== expectedAgentId(env.region, keyId)) return { ok: false, reason: 'agent_id_mismatch' };
    const existing = this.#o.store.agents.get(env.agent_id);
    if (existing?.revoked) return { ok: false, reason: 'revoked' };
    if (existing && existing.pin !== keyId) return { ok: false, reason: 'pin_mismatch' };
    const status = verifyEnvelope(signed, { publicKey: key, lastSeq: this.#lastAuthSeq.get(env.agent_id) ?? -1, nowMs, timestampMs, maxSkewMs: this.#o.maxSkewMs });
    if (status !== AuthStatus.Ok) return { ok: false, reason: status as AuthFailure };
    this.#lastAuthSeq.set(env.agent_id, env.auth!.seq);
    const serviceList = [...services].sort().join(',');
    if (existing && existing.service === serviceList && existing.region === env.region && existing.certificatePem === p.certificate_pem) {
      // Periodic re-authentication with nothing new: no durable write, just liveness.
      this.#o.store.agents.touch(existing.agentId, nowMs);
      this.#keys.set(existing.agentId, key);
      return { ok: true, agent: existing, services };
    }
    const agent = this.#o.store.agents.upsert({
      agentId: env.agent_id,
      service: serviceList,
      region: env.region,
      pin: keyId,
      certificatePem: p.certificate_pem,
      firstSeenMs: existing?.firstSeenMs ?? nowMs,
      lastSeenMs: nowMs,
    });
    this.#keys.set(agent.agentId, key);
    return { ok: true, agent, services };
  }

  /** Forgets cached keys and sequence numbers of an agent (after revoke/delete). */
  forget(agentId: string): void {
    this.#keys.delete(agentId);
    this.#lastSeq.delete(agentId);
    this.#lastAuthSeq.delete(agentId);
  }
}
