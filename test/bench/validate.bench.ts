// npm run bench:validate — `validate` over 1000 manifests in one directory (goal: <= 1 s).
// Prints the in-process time (cold: CRD loading and schema compilation included; warm: a second
// pass) and the wall-clock time of the CLI spawned as a process, the way a pipeline runs it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const count = Number(process.env.LBOP_BENCH_MANIFESTS ?? 1000);
const runs = Number(process.env.LBOP_BENCH_RUNS ?? 5);

function manifest(i: number): string {
  const ns = `team-${i % 20}`;
  switch (i % 5) {
    case 0:
      return `apiVersion: lb.contrail-operator.io/v1alpha1
kind: VirtualService
metadata:
  name: vs-${i}
  namespace: ${ns}
spec:
  cloudRef: jvnc2
  poolRef: pool-${i + 1}
  vip:
    - vipID: "0"
      autoAllocateIP: false
      ipAddress: 19.1.${i >> 8}.${(i & 255) || 1}
      subnet: 19.1.0.0/16
      subnetUUID: a834986a-385e-4616-9d9c-6b91cfaa51e0
  services:
    - {port: 80}
    - {port: 443, enableSSL: true}
    - {port: 8000, portRangeEnd: 8010}
  tls: {secretRef: {name: vs-${i}-tls}}
  scaleout: {ecmp: true, minSEs: 1, maxSEs: 4}
`;
    case 1:
      return `apiVersion: lb.contrail-operator.io/v1alpha1
kind: Pool
metadata:
  name: pool-${i}
  namespace: ${ns}
spec:
  cloudRef: jvnc2
  lbAlgorithm: RoundRobin
  servers:
${Array.from({ length: 8 }, (_, s) => `    - {ip: 20.0.${s}.${(i % 250) + 1}, port: 80, ratio: ${(s % 20) + 1}}`).join('\n')}
  healthMonitor: {type: HTTP, httpPath: /healthz, intervalSeconds: 10, timeoutSeconds: 4}
`;
    case 2:
      return `apiVersion: lb.contrail-operator.io/v1alpha1
kind: ServiceEngineGroup
metadata:
  name: seg-${i}
  namespace: ${ns}
spec:
  cloudRef: jvnc2
  haMode: SharedPair
  minScaleoutPerVS: 2
  maxScaleoutPerVS: 4
  maxSEs: 20
  bufferSEs: 1
  availabilityZones: [az1, az2, az3]
`;
    case 3:
      return `apiVersion: lb.contrail-operator.io/v1alpha1
kind: ServiceEngine
metadata:
  name: se-${i}
  namespace: ${ns}
spec:
  cloudRef: jvnc2
  seGroupRef: seg-${i - 1}
  availabilityZone: az${i % 3}
`;
    default:
      return `apiVersion: lb.contrail-operator.io/v1alpha1
kind: Cloud
metadata:
  name: cloud-${i}
spec:
  keystone:
    authURL: https://keystone-${i}:5000/v3
    credentialsSecretRef: {name: cloud-${i}, namespace: lb-system}
  contrail: {apiURL: "https://contrail-${i}:8082"}
  managementNetwork: avi-mgmt
  serviceEngine: {image: avi-se, flavor: m1.large}
  tenants: [{namespace: ${ns}, project: ${ns}}]
`;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

const ms = (x: number): string => `${x.toFixed(0)} ms`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lbop-bench-validate-'));
  try {
    for (let i = 0; i < count; i++) writeFileSync(join(dir, `m-${String(i).padStart(4, '0')}.yaml`), manifest(i));

    // In process: the module loads (CRDs parsed, ajv compiled) are part of the cold figure.
    const t0 = performance.now();
    const { readSources } = await import('../../src/cli/validate/input.js');
    const { checkSources } = await import('../../src/cli/validate/check.js');
    const cold0 = performance.now();
    const read = await readSources([dir], process.stdin);
    const report = checkSources(read.sources, { strict: false, resolveRefs: false });
    const cold = performance.now() - cold0;
    if (report.problems.length > 0 || report.objects !== count) {
      throw new Error(`bench manifests should all be valid: ${report.objects} objects, first problem ${JSON.stringify(report.problems[0])}`);
    }
    const warm: number[] = [];
    for (let r = 0; r < runs; r++) {
      const w0 = performance.now();
      checkSources((await readSources([dir], process.stdin)).sources, { strict: false, resolveRefs: false });
      warm.push(performance.now() - w0);
    }

    // As a process, the way a pipeline runs it.
    const spawned: number[] = [];
    for (let r = 0; r < runs; r++) {
      const s0 = performance.now();
      const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'validate', '-f', dir], { cwd: root, encoding: 'utf8' });
      spawned.push(performance.now() - s0);
      if (res.status !== 0) throw new Error(`validate exited ${String(res.status)}: ${res.stderr}`);
    }
    const baseline: number[] = [];
    for (let r = 0; r < runs; r++) {
      const b0 = performance.now();
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'validate', '--help'], { cwd: root });
      baseline.push(performance.now() - b0);
    }

    process.stdout.write(
      [
        `validate bench: ${count} manifests (1 per file, 5 kinds) in one directory, node ${process.version}`,
        `  in process, module load (imports):           ${ms(cold0 - t0)}`,
        `  in process, cold (read + CRDs + ajv + check): ${ms(cold)}`,
        `  in process, warm (read + check), median of ${runs}: ${ms(median(warm))}  (${ms(count > 0 ? median(warm) / count : 0).replace(' ms', '')} ms/manifest)`,
        `  spawned 'node --import tsx src/cli.ts validate -f DIR', median of ${runs}: ${ms(median(spawned))}  (min ${ms(Math.min(...spawned))})`,
        `  spawned '... validate --help' (process + tsx start-up only), median of ${runs}: ${ms(median(baseline))}`,
        `  goal: <= 1000 ms for the spawned run: ${median(spawned) <= 1000 ? 'met' : 'NOT met'}`,
      ].join('\n') + '\n',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
