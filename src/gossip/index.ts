/**
 * gossip/: HashiCorp memberlist wire-compatible SWIM membership and messaging, so OpenGSLB nodes
 * and Go memberlist nodes (the original OpenGSLB's agents) share one encrypted cluster; plus the
 * codec of OpenGSLB's own application messages carried on memberlist user messages.
 *
 * Public surface:
 *   Memberlist.create(opts) -> node (Closeable). join(addrs) -> number joined; members(),
 *     localNode(), sendBestEffort(to, bytes) (UDP), sendReliable(to, bytes) (TCP), broadcast(bytes)
 *     (piggybacked on gossip), updateMeta(meta), leave(timeoutMs), close(); events 'join' | 'leave'
 *     | 'update' (Member) and 'message' (payload, {via, from}); `keyring` (add/use/remove keys);
 *     stats() counters (decryption failures, packets, per-type messages sent/received...).
 *   Transports: NetTransport (UDP+TCP on one port), MemoryNetwork/MemoryTransport (tests, faults).
 *   Keys: Keyring, parseGossipKey(base64) with the original's start-up messages.
 *   Envelope: encodeEnvelope/decodeEnvelope, signEnvelope/verifyEnvelope (OpenGSLB messages).
 *
 * Invariants: encryption is mandatory (Memberlist.create throws without a key); nothing that
 * decodes network bytes throws; undecryptable packets are counted (`onDecryptFailure`, stats) and
 * never logged with content; protocol maths are pure (time passed in), sockets live behind Transport.
 * Wire format, timers and test vectors: ../../docs (MEMBERLIST.md in the design notes).
 */
export { Memberlist } from './memberlist.ts';
export {
  GossipError,
  LAN_DEFAULTS,
  META_MAX_BYTES,
  PROTOCOL_MIN,
  PROTOCOL_MAX,
  PROTOCOL_CURRENT,
  type MemberlistOptions,
  type Member,
  type MemberState,
  type MessageInfo,
  type MemberlistEvents,
  type MemberlistStats,
  type GossipLogger,
} from './config.ts';
export { Keyring, GossipKeyError, parseGossipKey, MISSING_KEY_MESSAGE } from './keyring.ts';
export { type Address, type Transport, type TransportHandlers, parseHostPort, formatAddress } from './transport.ts';
export { NetTransport, TransportError, type NetTransportOptions } from './net-transport.ts';
export { MemoryNetwork, MemoryTransport, type MemoryFaults } from './memory-transport.ts';
export {
  AppMessageType,
  AuthStatus,
  canonicalJson,
  decodeEnvelope,
  decodeNodeMeta,
  encodeEnvelope,
  encodeNodeMeta,
  needsReliableDelivery,
  publicKeyId,
  signEnvelope,
  signingInput,
  verifyEnvelope,
  type AgentAuthPayload,
  type BackendReport,
  type DecodeResult,
  type DeregisterPayload,
  type Envelope,
  type EnvelopeAuth,
  type HeartbeatPayload,
  type LatencyReportPayload,
  type NodeMeta,
  type PredictiveReport,
  type RegisterPayload,
  type VerifyOptions,
} from './envelope.ts';
