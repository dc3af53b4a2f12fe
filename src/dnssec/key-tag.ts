/** RFC 4034 Appendix B: the key tag of a DNSKEY RDATA (algorithm 1 excepted, which we never use). */
export function keyTag(dnskeyRdata: Buffer): number {
  let ac = 0;
  for (let i = 0; i < dnskeyRdata.length; i++) ac += (i & 1) === 0 ? dnskeyRdata[i]! << 8 : dnskeyRdata[i]!;
  ac += (ac >>> 16) & 0xffff;
  return ac & 0xffff;
}
