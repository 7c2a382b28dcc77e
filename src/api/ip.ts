// The Kubernetes CEL IP, CIDR and URL library functions our CRD rules use (isIP, isCIDR,
// cidr().containsIP(), isURL, url().getScheme()), re-implemented so offline validation agrees with
// kube-apiserver. Kubernetes parses with Go's net/netip: IPv4 with leading zeros, IPv6 zones and
// IPv4-mapped IPv6 addresses are all rejected, and a CIDR may have host bits set.
import { isIP as nodeIsIP } from 'node:net';

/** The address as 4 or 16 bytes, or undefined when Kubernetes' isIP() would say false. */
export function parseIP(s: string): Uint8Array | undefined {
  if (s.includes('%')) return undefined; // zones
  const family = nodeIsIP(s); // node already rejects IPv4 leading zeros
  if (family === 4) return Uint8Array.from(s.split('.').map(Number));
  if (family !== 6) return undefined;
  const bytes = parseIPv6(s);
  if (bytes === undefined || isIPv4Mapped(bytes)) return undefined;
  return bytes;
}

export function isIP(s: string): boolean {
  return parseIP(s) !== undefined;
}

export interface CIDR {
  address: Uint8Array;
  prefixLength: number;
}

export function parseCIDR(s: string): CIDR | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIP(s.slice(0, slash));
  const bits = s.slice(slash + 1);
  // Go's ParsePrefix: decimal digits only, no leading zeros, within the family's width.
  if (address === undefined || !/^(0|[1-9][0-9]{0,2})$/.test(bits)) return undefined;
  const prefixLength = Number(bits);
  if (prefixLength > address.length * 8) return undefined;
  return { address, prefixLength };
}

export function isCIDR(s: string): boolean {
  return parseCIDR(s) !== undefined;
}

/** cidr(c).containsIP(ip): false when either does not parse or the families differ. */
export function cidrContainsIP(cidr: string, ip: string): boolean {
  const prefix = parseCIDR(cidr);
  const addr = parseIP(ip);
  if (prefix === undefined || addr === undefined || addr.length !== prefix.address.length) return false;
  let remaining = prefix.prefixLength;
  for (let i = 0; i < addr.length && remaining > 0; i++) {
    const take = Math.min(8, remaining);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((addr[i] ?? 0) & mask) !== ((prefix.address[i] ?? 0) & mask)) return false;
    remaining -= take;
  }
  return true;
}

/** isURL(s) && url(s).getScheme() in schemes. */
export function isURLWithScheme(s: string, schemes: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return false;
  }
  return schemes.includes(url.protocol.replace(/:$/, ''));
}

function isIPv4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

// Only called on strings node's isIP() accepted as IPv6, so the syntax is already known good.
function parseIPv6(s: string): Uint8Array | undefined {
  let text = s;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail.push(...text.slice(lastColon + 1).split('.').map(Number));
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const fill = 8 - left.length - right.length;
  if (fill < 0 || (rest === undefined && fill !== 0)) return undefined;
  const words = [...left, ...new Array<number>(fill).fill(0), ...right];
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[2 * i] = w >> 8;
    bytes[2 * i + 1] = w & 0xff;
  });
  if (tail.length === 4) bytes.set(tail, 12);
  return bytes;
}
