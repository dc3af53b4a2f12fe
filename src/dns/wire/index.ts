/**
 * dns/wire/: the DNS wire codec (the role libknot plays for Knot). Pure: imports nothing of ours and
 * no I/O. Parses queries into a reused object, writes responses from pre-encoded records into a
 * caller-owned buffer, and encodes the records the Snapshot pre-builds.
 * Invariants: never throws on untrusted bytes (statuses instead); a writer that runs out of room
 * says so (TC) instead of overflowing.
 */
export { RRType, RRClass, RCode, Opcode, Flag, EdnsOption, HEADER_SIZE, CLASSIC_UDP_SIZE, typeName, rcodeName } from './constants.ts';
export { parseQuery, newParsedQuery, ParseStatus, type ParsedQuery } from './parse-query.ts';
export { ResponseWriter, Section, type EdnsReply } from './response-writer.ts';
export { encodeName, wireKey, nameOfWireKey, labelOffsets, labelCount, isValidHostname } from './name.ts';
export {
  encodeRecordTail,
  encodePointerRecord,
  parseIPv4,
  parseIPv6,
  addressRdata,
  nameRdata,
  soaRdata,
  type SoaFields,
} from './rdata.ts';
