// `contrail-lb-operator status` as users run it — `kubectl lb status` through kubectl's plugin
// mechanism (bin/kubectl-lb on PATH) — against a real kube-apiserver holding a VirtualService,
// its Pool and its ServiceEngines with statuses as the controllers write them; and --watch
// printing again when a status changes.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { kubectlPath, repoRoot, useCluster, type TestCluster } from "../support/cluster.js";

type Obj = Record<string, unknown>;

const ns = `it-status-${randomBytes(3).toString("hex")}`;
const apiVersion = "lb.contrail-operator.io/v1alpha1";

interface Run { code: number; stdout: string; stderr: string }

/** `kubectl lb ARGS` with bin/ first on PATH, so kubectl finds the kubectl-lb plugin. */
function kubectlLB(kubeconfig: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(kubectlPath, ["lb", ...args], {
      env: { ...process.env, KUBECONFIG: kubeconfig, PATH: `${join(repoRoot, "bin")}:${process.env["PATH"] ?? ""}` },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe("kubectl lb status (bin/kubectl-lb) on a real kube-apiserver", () => {
  let cluster: TestCluster;

  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await cluster.kubectl(args, input !== undefined ? { input } : {});
    assert.equal(r.code, 0, `kubectl ${args.join(" ")}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  const setStatus = (resource: string, name: string, status: Obj): Promise<string> =>
    ok(["patch", resource, name, "-n", ns, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status })]);

  before(async () => {
    cluster = await useCluster();
    await ok(["create", "namespace", ns]);
    const objects = [
      { apiVersion, kind: "Pool", metadata: { name: "vs2-pool", namespace: ns }, spec: { cloudRef: "jvnc2", servers: [{ ip: "20.0.0.3", port: 80 }] } },
      {
        apiVersion, kind: "VirtualService", metadata: { name: "vs2", namespace: ns },
        spec: { cloudRef: "jvnc2", poolRef: "vs2-pool", vip: [{ vipID: "0", networkRef: "vip-net" }], services: [{ port: 80 }], scaleout: { ecmp: true, minSEs: 2, maxSEs: 4 } },
      },
      { apiVersion, kind: "ServiceEngine", metadata: { name: "seg-a", namespace: ns }, spec: { cloudRef: "jvnc2", seGroupRef: "default" } },
      { apiVersion, kind: "ServiceEngine", metadata: { name: "seg-b", namespace: ns }, spec: { cloudRef: "jvnc2", seGroupRef: "default" } },
    ];
    await ok(["create", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
    await setStatus("lbpool", "vs2-pool", { servers: [{ ip: "20.0.0.3", port: 80, resolved: true, networkUUID: "7b1e0c1a-0000-4000-8000-000000000001" }] });
    await setStatus("lbse", "seg-a", { state: "ACTIVE", managementIP: "10.0.0.3" });
    await setStatus("lbse", "seg-b", { state: "BUILD", managementIP: "10.0.0.4" });
    await setStatus("lbvs", "vs2", {
      operStatus: { state: "OPER_UP", reason: [] }, percentSEsUp: 50, seSummary: "1/2", numSEsUp: 1,
      vip: [{ vipID: "0", ipAddress: "19.1.1.252", subnet: "19.1.1.0/24", numSEsAssigned: 2, numSEsRequested: 2 }],
      serviceEngines: [
        { name: "seg-a", primary: true, connected: true, cloudProgrammingDone: true },
        { name: "seg-b", primary: false, connected: false, cloudProgrammingDone: false },
      ],
    });
  });

  after(async () => {
    await cluster.kubectl(["delete", "lbvs,lbpool,lbse", "--all", "-n", ns, "--ignore-not-found", "--wait=false"]);
  });

  test("text: oper state, percent SEs up, the VIP, the SEs with the primary, the pool member", async () => {
    const r = await kubectlLB(cluster.kubeconfig, ["status", "vs2", "-n", ns]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^${ns}/vs2: OPER_UP, 50% SEs up \\(1/2\\)$`, "m"));
    assert.match(r.stdout, /^ {2}VIP 0: 19\.1\.1\.252 in 19\.1\.1\.0\/24, on 2\/2 SEs$/m);
    assert.match(r.stdout, /^ {4}seg-a +primary +yes +yes +ACTIVE +10\.0\.0\.3$/m);
    assert.match(r.stdout, /^ {4}seg-b +active +no +no +BUILD +10\.0\.0\.4$/m);
    assert.match(r.stdout, /^ {4}20\.0\.0\.3:80 +yes +yes +- +7b1e0c1a-/m, 'HEALTH - without the SE API');
  });

  test("-o json, and every VS of the namespace without a name", async () => {
    const one = await kubectlLB(cluster.kubeconfig, ["status", "vs2", "-n", ns, "-o", "json"]);
    assert.equal(one.code, 0, one.stderr);
    const view = JSON.parse(one.stdout) as Obj;
    assert.equal(view["operState"], "OPER_UP");
    assert.equal(view["percentSEsUp"], 50);
    assert.deepEqual((view["serviceEngines"] as Obj[]).map((s) => [s["name"], s["role"], s["connected"]]), [["seg-a", "primary", true], ["seg-b", "active", false]]);
    const all = await kubectlLB(cluster.kubeconfig, ["status", "-n", ns, "-o", "json"]);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual((JSON.parse(all.stdout) as { items: Obj[] }).items.map((v) => v["name"]), ["vs2"]);
  });

  test("a VS that does not exist: exit 1 and a clear message; a bad flag: exit 2", async () => {
    const missing = await kubectlLB(cluster.kubeconfig, ["status", "nope", "-n", ns]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, new RegExp(`virtual service ${ns}/nope not found`));
    const bad = await kubectlLB(cluster.kubeconfig, ["status", "-o", "yaml"]);
    assert.equal(bad.code, 2);
  });

  test("--watch prints again when the status changes, and stops on SIGINT", async () => {
    const child = spawn(join(repoRoot, "bin", "kubectl-lb"), ["status", "vs2", "-n", ns, "-o", "json", "--watch", "--interval", "0.3"], {
      env: { ...process.env, KUBECONFIG: cluster.kubeconfig }, stdio: ["ignore", "pipe", "pipe"],
    });
    const docs: Obj[] = [];
    let buffer = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => {
      buffer += b.toString();
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        docs.push(JSON.parse(buffer.slice(0, nl)) as Obj);
        buffer = buffer.slice(nl + 1);
      }
    });
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    const until = async (what: string, cond: () => boolean): Promise<void> => {
      const deadline = Date.now() + 20_000;
      while (!cond()) {
        assert.ok(Date.now() < deadline, `${what} within 20 s (stderr: ${stderr})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await until("the first document", () => docs.length >= 1);
      assert.equal(docs[0]?.["percentSEsUp"], 50);
      await setStatus("lbvs", "vs2", { percentSEsUp: 100, seSummary: "2/2", numSEsUp: 2, serviceEngines: [
        { name: "seg-a", primary: true, connected: true, cloudProgrammingDone: true },
        { name: "seg-b", primary: false, connected: true, cloudProgrammingDone: true },
      ] });
      await until("a second document after the change", () => docs.some((d) => d["percentSEsUp"] === 100));
      // Printed on change only: one document per distinct state, however many reads there were.
      assert.deepEqual(docs.map((d) => d["percentSEsUp"]), [50, 100]);
    } finally {
      child.kill("SIGINT");
    }
    assert.equal(await exited, 0);
  });
});
