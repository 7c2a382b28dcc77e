// IPv4 arithmetic on unsigned 32-bit numbers. The simulator models IPv4 subnets only.

export function parseIPv4(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined;
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function formatIPv4(n: number): string {
  // join() yields one flat string; a template would be stored as a tree of cons strings.
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Cidr {
  network: number;
  len: number;
  size: number;
}

export function cidrOf(network: number, len: number): Cidr {
  const size = 2 ** (32 - len);
  return { network: Math.floor(network / size) * size, len, size };
}

/** Parses "a.b.c.d/len"; the host bits are dropped, as Contrail normalises SubnetType. */
export function parseCidr(s: unknown): Cidr | undefined {
  if (typeof s !== 'string') return undefined;
  const [addr, lenStr, extra] = s.split('/');
  if (extra !== undefined || lenStr === undefined || !/^\d{1,2}$/.test(lenStr)) return undefined;
  const ip = parseIPv4(addr);
  const len = Number(lenStr);
  if (ip === undefined || len > 32) return undefined;
  return cidrOf(ip, len);
}

export function cidrString(c: Cidr): string {
  return `${formatIPv4(c.network)}/${c.len}`;
}

export function contains(c: Cidr, ip: number): boolean {
  return ip >= c.network && ip < c.network + c.size;
}
