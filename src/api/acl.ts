/**
 * Who may call the API: `api.allowed_networks` (CIDRs or bare IPs) checked with node:net BlockList.
 * The client address is the socket's peer, or, only with `api.trust_proxy_headers`, the first
 * X-Forwarded-For entry (trimmed; X-Real-IP when there is no X-Forwarded-For, as the original).
 * An IPv4-mapped IPv6 peer (`::ffff:10.1.2.3`, what a dual-stack listener reports) matches IPv4
 * CIDRs. An empty list admits loopback only (the original's default).
 * Must not: trust forwarding headers unless configured; admit an address it cannot parse.
 */
import { BlockList, isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, ApiErrorCode } from './api-errors.ts';

const LOOPBACK = ['127.0.0.0/8', '::1/128'];
const MAPPED_V4 = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

export class ClientAcl {
  readonly networks: readonly string[];
  readonly #list = new BlockList();

  /** Throws ApiError(ERR_API_CONFIG) naming the entry that is neither a CIDR nor an IP. */
  constructor(networks: readonly string[]) {
    this.networks = networks.length > 0 ? [...networks] : LOOPBACK;
    this.networks.forEach((entry, i) => this.#add(entry, i));
  }

  #add(entry: string, index: number): void {
    const slash = entry.indexOf('/');
    const address = slash < 0 ? entry : entry.slice(0, slash);
    const family = isIP(address);
    const maxPrefix = family === 4 ? 32 : 128;
    const prefixText = slash < 0 ? String(maxPrefix) : entry.slice(slash + 1);
    const prefix = Number(prefixText);
    if (family === 0 || !/^\d{1,3}$/.test(prefixText) || prefix > maxPrefix) {
      throw new ApiError(ApiErrorCode.Config, `api.allowed_networks[${index}]: expected a CIDR such as 10.0.0.0/8, got ${JSON.stringify(entry)}`);
    }
    this.#list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }

  /** True when `ip` (as from clientAddress) lies in an allowed network. */
  allows(ip: string): boolean {
    const family = isIP(ip);
    if (family === 4) return this.#list.check(ip, 'ipv4');
    if (family !== 6) return false;
    const mapped = MAPPED_V4.exec(ip);
    if (mapped && this.#list.check(mapped[1]!, 'ipv4')) return true;
    return this.#list.check(ip, 'ipv6');
  }
}

/** `::ffff:a.b.c.d` → `a.b.c.d`; anything else unchanged. For messages and authorities. */
export function displayAddress(ip: string): string {
  const mapped = MAPPED_V4.exec(ip);
  return mapped ? mapped[1]! : ip;
}

function firstHeaderValue(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const first = text.split(',')[0]!.trim();
  return first === '' ? undefined : first;
}

/** Some proxies append the client port: `1.2.3.4:5678`, `[2001:db8::1]:5678`. */
function withoutPort(text: string): string {
  if (isIP(text) !== 0) return text;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) return bracketed[1]!;
  const v4 = /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}):\d+$/.exec(text);
  return v4 ? v4[1]! : text;
}

export interface ClientRequestLike {
  headers: IncomingHttpHeaders;
  socket: { remoteAddress?: string | undefined };
}

/** The address the ACL judges; '' when the socket has none (then nothing is allowed). */
export function clientAddress(req: ClientRequestLike, trustProxyHeaders: boolean): string {
  if (trustProxyHeaders) {
    const forwarded = firstHeaderValue(req.headers['x-forwarded-for']) ?? firstHeaderValue(req.headers['x-real-ip']);
    if (forwarded !== undefined) return withoutPort(forwarded);
  }
  return req.socket.remoteAddress ?? '';
}
