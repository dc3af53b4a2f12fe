/**
 * Options, defaults and the public types of a memberlist node (memberlist config.go): the LAN
 * profile's values, the options OpenGSLB passes in, what members and stats look like.
 */
import type { Clock } from '../lifecycle/index.ts';
import { OpenGslbError } from '../errors.ts';
import type { Address, Transport } from './transport.ts';

export class GossipError extends OpenGslbError {}

/** memberlist's MetaMaxSize. */
export const META_MAX_BYTES = 512;
/** Protocol versions we implement: 1..5 understood (TCP ping, nack, CRC), speaking 2. */
export const PROTOCOL_MIN = 1;
export const PROTOCOL_MAX = 5;
export const PROTOCOL_CURRENT = 2;

/** memberlist DefaultLANConfig values (MEMBERLIST.md 4.1); OpenGSLB config overrides the three intervals. */
export const LAN_DEFAULTS = {
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  gossipIntervalMs: 200,
  pushPullIntervalMs: 30_000,
  tcpTimeoutMs: 10_000,
  indirectChecks: 3,
  retransmitMult: 4,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  gossipNodes: 3,
  gossipToTheDeadMs: 30_000,
  awarenessMaxMultiplier: 8,
  deadNodeReclaimTimeMs: 0,
  disableTcpPings: false,
} as const;

export interface GossipLogger {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

export const silentLogger: GossipLogger = { debug() {}, info() {}, warn() {} };

export interface MemberlistOptions {
  /** Unique node name (OpenGSLB: node_id / agent hostname). */
  name: string;
  bindHost: string;
  /** 0 = ephemeral (UDP and TCP share the chosen port). */
  bindPort: number;
  /** Address others reach us at; default bindHost, or the first non-internal IPv4 if bound to 0.0.0.0/::. */
  advertiseHost?: string;
  advertisePort?: number;
  /** AES keys (16/24/32 bytes), first = primary. Required: no key, no gossip. */
  keyring: readonly Uint8Array[];
  meta?: Buffer;
  /** memberlist 0.5 cluster label; empty = none (must match the Go cluster's label). */
  label?: string;
  probeIntervalMs?: number;
  probeTimeoutMs?: number;
  gossipIntervalMs?: number;
  pushPullIntervalMs?: number;
  tcpTimeoutMs?: number;
  indirectChecks?: number;
  retransmitMult?: number;
  suspicionMult?: number;
  suspicionMaxTimeoutMult?: number;
  gossipNodes?: number;
  gossipToTheDeadMs?: number;
  awarenessMaxMultiplier?: number;
  deadNodeReclaimTimeMs?: number;
  disableTcpPings?: boolean;
  /** Delegate (application) protocol versions advertised in Vsn; must match the Go application (0/0/0). */
  delegateVersion?: { min: number; max: number; cur: number };
  /** Sockets; default a NetTransport on bindHost:bindPort. Closed by close() either way. */
  transport?: Transport;
  clock?: Clock;
  random?: () => number;
  logger?: GossipLogger;
  /** Called for every packet or stream that no installed key decrypts (for the metrics counter). */
  onDecryptFailure?: () => void;
  /** Delegate LocalState: bytes sent with every push/pull. */
  localState?: (join: boolean) => Buffer;
  /** Delegate MergeRemoteState: the peer's push/pull user state. */
  mergeRemoteState?: (state: Buffer, join: boolean) => void;
}

export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

export interface Member {
  name: string;
  /** Dialable address (IPv4-mapped addresses shown as IPv4). */
  host: string;
  port: number;
  meta: Buffer;
  state: MemberState;
  incarnation: number;
  /** [pMin, pMax, pCur, dMin, dMax, dCur]. */
  vsn: number[];
}

export interface MessageInfo {
  /** 'udp' best effort, 'tcp' reliable stream. Piggybacked broadcasts arrive as 'udp'. */
  via: 'udp' | 'tcp';
  /** The packet or connection source (not an identity: memberlist user messages carry none). */
  from: Address;
}

export interface MemberlistEvents {
  join: [member: Member];
  leave: [member: Member];
  update: [member: Member];
  message: [payload: Buffer, info: MessageInfo];
}

export interface MemberlistStats {
  packetsReceived: number;
  packetsSent: number;
  bytesReceived: number;
  bytesSent: number;
  decryptionFailures: number;
  crcFailures: number;
  labelMismatches: number;
  malformed: number;
  streamsAccepted: number;
  streamsDialled: number;
  streamErrors: number;
  pushPullsDropped: number;
  probes: number;
  probeFailures: number;
  refutations: number;
  joins: number;
  leaves: number;
  received: Record<string, number>;
  sent: Record<string, number>;
}
