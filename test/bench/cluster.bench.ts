// npm run bench:cluster — the test control plane's warm start (goal: apiserver ready <= 10 s once
// built) and its memory. Each run: cluster-up in a fresh directory (CRDs installed), a workload of
// LBOP_BENCH_OBJECTS custom resources per kind created through kubectl (CEL + schema validation on
// every one), then the peak RSS (VmHWM) of etcd and kube-apiserver, then cluster-down.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, kubectlPath } from "../support/cluster.js";
import { crdCaseNamespace, validBase } from "../cases/crd-cases.js";

const runs = Number(process.env["LBOP_BENCH_RUNS"] ?? 3);
const objects = Number(process.env["LBOP_BENCH_OBJECTS"] ?? 100);

function peakRSSMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  return Math.round(kb / 1024);
}

function time<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const out = fn();
  return [out, Math.round(performance.now() - t0)];
}

mkdirSync(join(repoRoot, ".local"), { recursive: true });
console.log(`cluster bench: ${runs} runs, ${objects} objects per kind (${objects * Object.keys(validBase).length} total)`);
console.log("run  up-total-ms  apiserver-ready-ms  crds-ms  workload-ms  down-ms  etcd-peak-MiB  apiserver-peak-MiB  sum-MiB");
for (let run = 1; run <= runs; run++) {
  const dir = mkdtempSync(join(repoRoot, ".local", "cluster-bench."));
  const [out, upMs] = time(() => execFileSync(join(repoRoot, "scripts", "cluster-up.sh"), [dir], { encoding: "utf8" }));
  try {
    const ready = /ready in (\d+)ms/.exec(out)?.[1] ?? "?";
    const crds = /CRDs in (\d+)ms/.exec(out)?.[1] ?? "?";
    const kubectl = (args: string[], input?: string) =>
      execFileSync(kubectlPath, ["--kubeconfig", join(dir, "kubeconfig"), "--cache-dir", join(dir, "kubecache"), ...args],
        { input, encoding: "utf8", maxBuffer: 64 << 20 });
    const [, workMs] = time(() => {
      kubectl(["create", "namespace", crdCaseNamespace]);
      const items = Object.values(validBase).flatMap((make) =>
        Array.from({ length: objects }, (_, i) => make(`bench-${i}`)));
      kubectl(["create", "-f", "-", "-o", "name"], JSON.stringify({ apiVersion: "v1", kind: "List", items }));
      kubectl(["get", "lbvs,lbpool,lbse,lbseg,lbcloud", "-A", "-o", "name"]);
    });
    const etcd = peakRSSMiB(Number(readFileSync(join(dir, "etcd.pid"), "utf8")));
    const api = peakRSSMiB(Number(readFileSync(join(dir, "apiserver.pid"), "utf8")));
    const [, downMs] = time(() => execFileSync(join(repoRoot, "scripts", "cluster-down.sh"), [dir]));
    console.log([run, upMs, ready, crds, workMs, downMs, etcd, api, etcd + api].map(String).map((s) => s.padStart(4)).join("  "));
  } catch (e) {
    execFileSync(join(repoRoot, "scripts", "cluster-down.sh"), [dir]);
    throw e;
  }
}
