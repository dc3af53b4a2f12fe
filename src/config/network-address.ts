/**
 * Address syntax used across the configuration: IP literals, `host:port` (IPv6 in brackets), CIDRs. Uses
 * zod's IP and CIDR validators (this module must stay free of node:net so it remains pure). Pure.
 */
import * as z from 'zod';
import type { HostPort } from './types.ts';
import { normaliseDnsName } from './dns-name.ts';

const ipv4 = z.ipv4();
const ipv6 = z.ipv6();
const cidrv4 = z.cidrv4();
const cidrv6 = z.cidrv6();

export function isIpv4(text: string): boolean {
  return ipv4.safeParse(text).success;
}

export function isIpv6(text: string): boolean {
  return ipv6.safeParse(text).success;
}

export function isIpLiteral(text: string): boolean {
  return isIpv4(text) || isIpv6(text);
}

/** A DNS hostname; an all-numeric last label is refused so that a mistyped IPv4 address is not taken for a name. */
export function isHostname(text: string): boolean {
  const result = normaliseDnsName(text);
  return 'name' in result && !/^\d+$/.test(result.name.slice(result.name.lastIndexOf('.') + 1));
}

/**
 * `host:port`, `[v6]:port` or `:port`; the host may be empty (all addresses), an IP literal or a
 * hostname. Undefined when malformed or the port is outside `minPort`-65535.
 */
export function parseHostPort(text: string, minPort = 1): HostPort | undefined {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return undefined;
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    if (!isIpv6(host)) return undefined;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return undefined;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) return undefined; // IPv6 must be bracketed when a port follows
    if (host !== '' && !isIpv4(host) && !isHostname(host)) return undefined;
  }
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < minPort || port > 65535) return undefined;
  return { host, port };
}

/** A CIDR in the form written, or a bare IP as a host route (/32 or /128); undefined when neither. */
export function normaliseCidr(text: string): string | undefined {
  if (cidrv4.safeParse(text).success || cidrv6.safeParse(text).success) return text;
  if (isIpv4(text)) return `${text}/32`;
  if (isIpv6(text)) return `${text}/128`;
  return undefined;
}
