// Seeded random variants of the valid bases in crd-cases.ts, valid or not, for a differential
// test: kube-apiserver (create --dry-run=server) and src/api's validateObject must agree on the
// verdict, and every offline error's field path must appear in the server's message.
// Run ad hoc on 2026-11-24 against kube-apiserver v1.35.4: over 1000 objects (several seeds), no disagreement.
import { validBase } from './crd-cases.js';

type Obj = Record<string, unknown>;

export interface FuzzCase {
  name: string;
  manifest: Obj;
}

const ips = ['1.2.3.4', '01.2.3.4', '1.2.3.256', '::1', '::ffff:1.2.3.4', 'fe80::1%eth0', '2001:db8::1', '1.2.3', '', ' 1.2.3.4',
  '1.2.3.4/32', '0.0.0.0', '::', '1:2:3:4:5:6:7:8:9', '1::2::3', 'abcd::12345'];
const cidrs = ['19.1.1.0/24', '19.1.1.7/24', '19.1.1.0/33', '19.1.1.0/024', '::/0', '2001:db8::/129', '19.1.1.0', '10.0.0.0/8',
  '1.2.3.4/0', '::ffff:1.2.3.0/120', '19.1.1.0/ 24'];
const urls = ['https://k:5000/v3', 'http://k', 'ftp://k', 'k:5000', '/v3', 'http://[::1]:80/', 'HTTPS://K/', 'not a url', 'https://k/v3?x=1#f'];
const strs = ['', 'a', 'A', 'a-b', 'a.b', '-a', 'a_b', 'x'.repeat(64), 'x'.repeat(254)];
const nums = [0, 1, -1, 4, 64, 65, 65535, 65536, 1.5, 1000, 1001, 3600];

/** Deterministic cases for a seed. */
export function fuzzCases(seed: number, count: number): FuzzCase[] {
  let state = seed;
  const rnd = (n: number): number => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state % n;
  };
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)] as T;
  const spec = (o: Obj): Obj => o.spec as Obj;
  const mutations: [keyof typeof validBase, string, (o: Obj) => void][] = [
    ['vs', 'ip', (o) => { spec(o).vip = [{ vipID: '0', autoAllocateIP: false, ipAddress: pick(ips), networkRef: 'n' }]; }],
    ['vs', 'subnet-ip', (o) => { spec(o).vip = [{ vipID: '0', autoAllocateIP: false, ipAddress: pick(ips), subnet: pick(cidrs), networkRef: 'n' }]; }],
    ['vs', 'floating', (o) => { spec(o).vip = [{ vipID: '0', floatingIP: pick(ips), autoAllocateFloatingIP: rnd(2) === 0, networkRef: 'n' }]; }],
    ['vs', 'vipid', (o) => { spec(o).vip = [{ vipID: pick(strs), networkRef: 'n' }]; }],
    ['vs', 'services', (o) => { spec(o).services = [{ port: pick(nums), ...(rnd(2) ? { portRangeEnd: pick(nums) } : {}) }, { port: pick(nums) }]; }],
    ['vs', 'scaleout', (o) => { spec(o).scaleout = { minSEs: pick(nums), maxSEs: pick(nums) }; }],
    ['vs', 'poolref', (o) => { spec(o).poolRef = pick(strs); }],
    ['cloud', 'url', (o) => { (spec(o).keystone as Obj).authURL = pick(urls); }],
    ['cloud', 'resync', (o) => { spec(o).resyncPeriodSeconds = pick(nums); }],
    ['cloud', 'tenants', (o) => { spec(o).tenants = [{ namespace: pick(strs), project: pick(strs) }]; }],
    ['pool', 'server', (o) => { spec(o).servers = [{ ip: pick(ips), port: pick(nums), ratio: pick([1, 20, 21, 0]) }]; }],
    ['pool', 'monitor', (o) => {
      spec(o).healthMonitor = { type: pick(['PING', 'TCP', 'HTTP', 'ICMP']), intervalSeconds: pick(nums), timeoutSeconds: pick(nums),
        ...(rnd(2) ? { httpPath: pick(['/', 'x', '/a b']) } : {}) };
    }],
    ['seg', 'sizes', (o) => { Object.assign(spec(o), { minScaleoutPerVS: pick(nums), maxScaleoutPerVS: pick(nums), bufferSEs: pick(nums), maxSEs: pick(nums) }); }],
  ];
  return Array.from({ length: count }, (_, i) => {
    const [base, what, mutate] = pick(mutations);
    const manifest = validBase[base](`fuzz-${seed}-${i}`);
    mutate(manifest);
    return { name: `${base}-${what}-${i}`, manifest };
  });
}
