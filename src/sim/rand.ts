// Seeded randomness for the simulator: uuids, tokens, MACs and fault draws all come from one
// sfc32 stream, so a run with the same --seed and the same requests gives the same answers.
import { randomBytes } from 'node:crypto';

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed?: number) {
    const s = seed ?? randomBytes(4).readUInt32LE(0);
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = s >>> 0;
    for (let i = 0; i < 15; i++) this.next32();
  }

  next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next32() / 4294967296;
  }

  hex(chars: number): string {
    let out = '';
    while (out.length < chars) out += this.next32().toString(16).padStart(8, '0');
    return out.slice(0, chars);
  }

  /** A version-4 uuid, lower-case and dashed as Python's str(uuid.uuid4()). */
  uuid(): string {
    const h = this.hex(32);
    const variant = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
    // join() yields one flat string; a template of slices would keep the parent strings alive.
    return [h.slice(0, 8), h.slice(8, 12), `4${h.slice(13, 16)}`, `${variant}${h.slice(17, 20)}`, h.slice(20, 32)].join('-');
  }
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Python's str(uuid.UUID(x)) accepts 32 hex digits with or without dashes/braces/urn prefix. */
export function canonicalUuid(x: string): string | undefined {
  const h = x.replace(/^urn:uuid:/i, '').replace(/[{}-]/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(h)) return undefined;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** datetime.utcnow().isoformat() of an epoch-ms time: microseconds, no zone suffix. */
export function pyIso(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000');
}

export function nowIsoZ(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Python repr of a list of strings, as pformat prints an fq_name: ['a', 'b']. */
export function pyList(xs: readonly unknown[]): string {
  return '[' + xs.map((x) => pyRepr(x)).join(', ') + ']';
}

export function pyRepr(x: unknown): string {
  if (x === null || x === undefined) return 'None';
  if (typeof x === 'string') return `'${x.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof x === 'boolean') return x ? 'True' : 'False';
  if (typeof x === 'number') return String(x);
  if (Array.isArray(x)) return pyList(x);
  if (typeof x === 'object') {
    return '{' + Object.entries(x as Record<string, unknown>).map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ') + '}';
  }
  return String(x);
}
