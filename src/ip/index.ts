/** BigInt address arithmetic for IPv4 and IPv6: strict parsing, canonical text, CIDRs, ranges and range sets. */
export type { Cidr, Family, IpAddress, IpRange, ParseResult } from './types.ts';
export { IpParseError, addressOf, compareAddresses, familyName, maxPrefixLength } from './types.ts';
export { formatAddress, parseAddress, tryParseAddress } from './address.ts';
export type { IpInterface, ParseCidrOptions } from './cidr.ts';
export {
  addressAtOffset,
  cidrContainsAddress,
  cidrRange,
  cidrSize,
  formatCidr,
  offsetInCidr,
  parseCidr,
  parseInterface,
  smallestCidrContaining,
  tryParseCidr,
  tryParseInterface,
  usableRange,
} from './cidr.ts';
export {
  compareRanges,
  formatRange,
  intersectRanges,
  mergeRanges,
  parseRange,
  parseRangeOrCidr,
  rangeAsCidr,
  rangeContains,
  rangeContainsAddress,
  rangeOfAddress,
  rangeSize,
  rangeToCidrs,
  rangesOverlap,
  subtractRanges,
  tryParseRange,
  tryParseRangeOrCidr,
} from './range.ts';
