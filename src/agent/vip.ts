// Makes each placed VIP reachable on the SE: the /32 (/128) on `lo` of the SE's network namespace,
// with the ARP sysctls that keep the SE from answering ARP for it on its other interfaces (the
// vRouter, or the allowed address pair, steers the VIP's traffic to the SE; the SE must accept
// it, not advertise it). Without --netns it does nothing: loopback tests bind 127.x addresses
// that already exist.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface VipAddresser {
  /** Converges lo's VIP addresses to `addresses` (adds the missing, removes the others it added). */
  converge(addresses: string[]): Promise<void>;
}

export class NoVipAddresser implements VipAddresser {
  async converge(): Promise<void> {}
}

export class NetnsVipAddresser implements VipAddresser {
  private sysctlsDone = false;

  constructor(private readonly netns: string) {}

  async converge(addresses: string[]): Promise<void> {
    if (!this.sysctlsDone) {
      for (const [k, v] of [['net.ipv4.conf.all.arp_ignore', '1'], ['net.ipv4.conf.all.arp_announce', '2']] as const) {
        await run('ip', ['netns', 'exec', this.netns, 'sysctl', '-q', '-w', `${k}=${v}`]);
      }
      this.sysctlsDone = true;
    }
    const want = new Set(addresses.map(withPrefix));
    const have = await this.vipAddresses();
    for (const a of want) if (!have.has(a)) await run('ip', ['-n', this.netns, 'addr', 'add', a, 'dev', 'lo']);
    for (const a of have) if (!want.has(a)) await run('ip', ['-n', this.netns, 'addr', 'del', a, 'dev', 'lo']);
  }

  /** Host-prefix addresses on lo other than the loopback ones: the VIPs this agent placed. */
  private async vipAddresses(): Promise<Set<string>> {
    const { stdout } = await run('ip', ['-n', this.netns, '-j', 'addr', 'show', 'dev', 'lo']);
    const links = JSON.parse(stdout) as { addr_info?: { local: string; prefixlen: number }[] }[];
    const out = new Set<string>();
    for (const a of links.flatMap((l) => l.addr_info ?? [])) {
      const host = a.local.includes(':') ? a.prefixlen === 128 : a.prefixlen === 32;
      if (host && !a.local.startsWith('127.') && a.local !== '::1') out.add(withPrefix(a.local));
    }
    return out;
  }
}

function withPrefix(ip: string): string {
  return ip.includes(':') ? `${ip}/128` : `${ip}/32`;
}
