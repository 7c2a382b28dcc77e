// The renumbering map: the model keeps its own addresses (the seed's 19.1.1.0/24, 20.0.0.0/24,
// 10.10.10.0/24, 203.0.113.0/24), and every address that goes on a kernel interface or route is
// its image in 198.18.0.0/15, the range set aside for benchmarking networks (RFC 2544). No other
// address ever reaches the kernel: kernelOf() throws rather than let one through.
//
//   model block              kernel block            what
//   19.1.1.0/24          →   198.18.1.0/24           vip-net (VIPs, SE data VMIs)
//   10.10.10.0/24        →   198.18.10.0/24          avi-mgmt (never on a namespace: management stays on loopback)
//   203.0.113.0/24       →   198.18.113.0/24         public (floating IPs)
//   20.0.x.0/24          →   198.19.x.0/24           server-net and the rest of 20.0.0.0/16 (pool servers)
//   any other /24        →   198.18.128.0/24 …       198.18.191.0/24, one /24 per model /24 in first-use order
//   (no model address)       198.18.250.0/24         the client namespace (CLIENT_NET)
//   198.18.0.0/15 elsewhere  itself                  a data-plane topology (the SE agent binds the model's addresses)
// Host bits are kept, so 19.1.1.100 is 198.18.1.100 and 20.0.0.3 is 198.19.0.3.
import { formatIPv4, parseIPv4 } from '../ip.js';

export interface BlockRule { model: string; kernel: string; len: 16 | 24; what: string }

export const STATIC_RULES: readonly BlockRule[] = [
  { model: '19.1.1.0', kernel: '198.18.1.0', len: 24, what: 'vip-net' },
  { model: '10.10.10.0', kernel: '198.18.10.0', len: 24, what: 'avi-mgmt' },
  { model: '203.0.113.0', kernel: '198.18.113.0', len: 24, what: 'public' },
  { model: '20.0.0.0', kernel: '198.19.0.0', len: 16, what: 'server-net (20.0.0.0/16)' },
];

const DYNAMIC_FIRST = parseIPv4('198.18.128.0') as number;
const DYNAMIC_BLOCKS = 64;
/** The client namespace's /24 (kernel only; the model has no client). */
export const CLIENT_NET = { prefix: '198.18.250.0/24', address: '198.18.250.10', gateway: '198.18.250.254' } as const;

const BENCH_NET = { first: parseIPv4('198.18.0.0') as number, size: 2 ** 17 };
export const isBenchmarkAddress = (ip: string): boolean => {
  const n = parseIPv4(ip);
  return n !== undefined && n >= BENCH_NET.first && n < BENCH_NET.first + BENCH_NET.size;
};

export class RenumberError extends Error {}

export class Renumbering {
  private readonly dynamic = new Map<number, number>(); // model /24 → kernel /24
  private readonly rules = STATIC_RULES.map((r) => ({ ...r, m: parseIPv4(r.model) as number, k: parseIPv4(r.kernel) as number, size: 2 ** (32 - r.len) }));

  /** The kernel address standing for a model address. */
  kernelOf(modelIp: string): string {
    const ip = parseIPv4(modelIp);
    if (ip === undefined) throw new RenumberError(`not an IPv4 address: ${modelIp}`);
    for (const r of this.rules) if (ip >= r.m && ip < r.m + r.size) return formatIPv4(r.k + (ip - r.m));
    // A topology already numbered in 198.18.0.0/15 (the data-plane topologies) is its own image,
    // so an SE agent configured with model addresses binds exactly what the fabric routes.
    if (isBenchmarkAddress(modelIp)) {
      if (this.reservedKernel(ip)) throw new RenumberError(`model address ${modelIp} is in a kernel block the renumbering uses (${this.describe().join('; ')}); number data-plane topologies elsewhere in 198.18.0.0/15`);
      return modelIp;
    }
    const block = ip - (ip % 256);
    let k = this.dynamic.get(block);
    if (k === undefined) {
      if (this.dynamic.size >= DYNAMIC_BLOCKS) throw new RenumberError(`no kernel block left for ${modelIp} (${DYNAMIC_BLOCKS} dynamic /24s in use)`);
      k = DYNAMIC_FIRST + this.dynamic.size * 256;
      this.dynamic.set(block, k);
    }
    return formatIPv4(k + (ip % 256));
  }

  /** Kernel blocks the map hands out: the static images, the dynamic /24s, the client's. */
  private reservedKernel(ip: number): boolean {
    if (this.rules.some((r) => ip >= r.k && ip < r.k + r.size)) return true;
    if (ip >= DYNAMIC_FIRST && ip < DYNAMIC_FIRST + DYNAMIC_BLOCKS * 256) return true;
    const client = parseIPv4(CLIENT_NET.address) as number;
    return ip - (ip % 256) === client - (client % 256);
  }

  /** "a.b.c.d/len" in the model → the same prefix in the kernel (len ≥ 24 keeps one block). */
  kernelPrefix(modelPrefix: string): string {
    const [addr, len] = modelPrefix.split('/');
    return `${this.kernelOf(addr ?? '')}/${len ?? '32'}`;
  }

  /** The model address a kernel address stands for (undefined: not from the model). */
  modelOf(kernelIp: string): string | undefined {
    const ip = parseIPv4(kernelIp);
    if (ip === undefined) return undefined;
    for (const r of this.rules) if (ip >= r.k && ip < r.k + r.size) return formatIPv4(r.m + (ip - r.k));
    for (const [m, k] of this.dynamic) if (ip >= k && ip < k + 256) return formatIPv4(m + (ip - k));
    return isBenchmarkAddress(kernelIp) && !this.reservedKernel(ip) ? kernelIp : undefined;
  }

  /** The map as text lines, for logs and the README. */
  describe(): string[] {
    const out = STATIC_RULES.map((r) => `${r.model}/${r.len} -> ${r.kernel}/${r.len} (${r.what})`);
    for (const [m, k] of this.dynamic) out.push(`${formatIPv4(m)}/24 -> ${formatIPv4(k)}/24 (dynamic)`);
    out.push(`client -> ${CLIENT_NET.prefix}`);
    return out;
  }
}
