// Per-subnet address allocator, as vnc_addr_mgmt.py's bitarray allocator behaves: by default it
// hands out the highest free address first (top down), with addr_from_start the lowest. A cursor
// plus a small heap of freed addresses keeps allocation O(log n) even for a /8.
import { contains, type Cidr } from './ip.js';

export class SubnetAllocator {
  private readonly used = new Set<number>();
  private cursor: number;
  // Freed addresses on the far side of the cursor; kept sorted so the preferred one is at the end.
  private freed: number[] = [];

  constructor(
    readonly cidr: Cidr,
    private readonly fromStart: boolean,
    private readonly lo: number,
    private readonly hi: number,
    private readonly reserved: ReadonlySet<number>,
    private readonly pools: ReadonlyArray<readonly [number, number]>,
  ) {
    this.cursor = fromStart ? lo : hi;
  }

  /** Whether an address may ever be handed out automatically (in range, not reserved). */
  allocatable(ip: number): boolean {
    if (ip < this.lo || ip > this.hi || this.reserved.has(ip)) return false;
    if (this.pools.length === 0) return true;
    return this.pools.some(([a, b]) => ip >= a && ip <= b);
  }

  isUsed(ip: number): boolean {
    return this.used.has(ip);
  }

  get usedCount(): number {
    return this.used.size;
  }

  inSubnet(ip: number): boolean {
    return contains(this.cidr, ip);
  }

  allocate(): number | undefined {
    while (this.freed.length > 0) {
      const ip = this.freed.pop() as number;
      if (!this.used.has(ip)) {
        this.used.add(ip);
        return ip;
      }
    }
    const step = this.fromStart ? 1 : -1;
    while (this.fromStart ? this.cursor <= this.hi : this.cursor >= this.lo) {
      const ip = this.cursor;
      this.cursor += step;
      if (!this.used.has(ip) && this.allocatable(ip)) {
        this.used.add(ip);
        return ip;
      }
    }
    return undefined;
  }

  /** Marks a specific address used; false when it already was. */
  reserve(ip: number): boolean {
    if (this.used.has(ip)) return false;
    this.used.add(ip);
    return true;
  }

  free(ip: number): void {
    if (!this.used.delete(ip)) return;
    const behindCursor = this.fromStart ? ip < this.cursor : ip > this.cursor;
    if (!behindCursor || !this.allocatable(ip)) return;
    // Sorted so pop() yields the address the bitarray allocator would pick next.
    const arr = this.freed;
    let l = 0;
    let r = arr.length;
    while (l < r) {
      const m = (l + r) >> 1;
      const v = arr[m] as number;
      if (this.fromStart ? v > ip : v < ip) l = m + 1;
      else r = m;
    }
    arr.splice(l, 0, ip);
  }
}
