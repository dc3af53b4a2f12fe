/**
 * dns/: the authoritative DNS data plane. Listeners (UDP, TCP) own sockets; the Responder owns the
 * answer semantics; both only read the current Snapshot, which the control plane publishes.
 */
export { DnsServer, type DnsServerOptions } from './dns-server.ts';
export { Responder, findZone, type ResponseOutcome, type Transport } from './responder.ts';
export { ResponseRateLimiter, RateVerdict, ipv4ToNumber } from './rate-limiter.ts';
