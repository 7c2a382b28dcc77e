// SE CPU and memory from /proc: CPU as the busy share of all cores since the previous sample,
// memory as MemTotal − MemAvailable (what the kernel cannot hand out without reclaiming).
import { readFile } from 'node:fs/promises';

interface CpuSample { busy: number; total: number }

export class SystemStats {
  private last: CpuSample | undefined;

  async sample(): Promise<{ cpuPercent: number; memoryBytes: number }> {
    const [stat, meminfo] = await Promise.all([readFile('/proc/stat', 'utf8'), readFile('/proc/meminfo', 'utf8')]);
    const now = parseCpu(stat);
    const prev = this.last;
    this.last = now;
    const dt = prev === undefined ? 0 : now.total - prev.total;
    const cpuPercent = dt <= 0 || prev === undefined ? 0 : Math.round((1000 * (now.busy - prev.busy)) / dt) / 10;
    return { cpuPercent, memoryBytes: parseMemUsed(meminfo) };
  }
}

export function parseCpu(stat: string): CpuSample {
  const line = stat.split('\n').find((l) => l.startsWith('cpu ')) ?? 'cpu';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

export function parseMemUsed(meminfo: string): number {
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(meminfo)?.[1] ?? 0);
  return Math.max(0, kb('MemTotal') - kb('MemAvailable')) * 1024;
}
