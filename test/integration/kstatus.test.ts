// Our objects as GitOps tools see them: every kind in each state it can reach (statuses made by
// the controllers' own summarizers and the kstatus hook, test/support/kstatus-states.ts),
// written through the /status subresource of a real kube-apiserver with the CRDs installed,
// read back and handed to the real kstatus library (scripts/kstatus-check: cli-utils v0.37.2
// status.Compute, what Flux's `wait: true`, kpt and Config Sync run). Plus the two generic
// rules (an unobserved generation, a deletion) and `kubectl wait --for=condition=...`.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { KubeClient } from "../../src/runtime/kube.js";
import { collectionPath, objectPath, type KubeObject } from "../../src/runtime/objects.js";
import { updateStatus } from "../../src/runtime/status.js";
import { addFinalizer, removeFinalizer } from "../../src/runtime/finalizers.js";
import { resourceOf, withKstatus, type PoolObj } from "../../src/controllers/model/index.js";
import type { KindName } from "../../src/api/index.js";
import { kubectlPath, repoRoot, useCluster, type TestCluster } from "../support/cluster.js";
import { kstatusCases, type KstatusCase } from "../support/kstatus-states.js";

const checker = join(repoRoot, ".local", "bin", "kstatus-check");
const suffix = randomBytes(3).toString("hex");
const ns = `it-kstatus-${suffix}`;
const apiVersion = "lb.contrail-operator.io/v1alpha1";

interface Verdict { kind: string; namespace?: string; name: string; status: string; message: string }

/** What the real kstatus library computes for these objects. */
function kstatus(objects: readonly unknown[]): Promise<Verdict[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(checker, [], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`kstatus-check: ${stderr.trim() || err.message}`));
      else resolve(JSON.parse(stdout) as Verdict[]);
    });
    child.stdin?.end(JSON.stringify(objects));
  });
}

/** Cloud names are cluster-wide: this run's own prefix. */
const nameOf = (c: Pick<KstatusCase, "kind" | "name">): string => (c.kind === "Cloud" ? `it-ks-${suffix}-${c.name}` : c.name);

function specOf(kind: KindName): Record<string, unknown> {
  switch (kind) {
    case "Cloud":
      return {
        keystone: { authURL: "https://keystone.example:5000/v3", credentialsSecretRef: { name: "x", namespace: "lb-system" } },
        managementNetwork: "avi-mgmt", serviceEngine: { image: "avi-se", flavor: "m1.large" }, tenants: [{ namespace: ns, project: "demo" }],
      };
    case "ServiceEngineGroup": return { cloudRef: "jvnc2", maxSEs: 4 };
    case "ServiceEngine": return { cloudRef: "jvnc2", seGroupRef: "default" };
    case "Pool": return { cloudRef: "jvnc2", servers: [{ ip: "20.0.0.3", port: 80 }] };
    case "VirtualService":
      return { cloudRef: "jvnc2", poolRef: "p", vip: [{ vipID: "0", networkRef: "vip-net" }], services: [{ port: 80 }], scaleout: { ecmp: true, minSEs: 1, maxSEs: 2 } };
  }
}

const refOf = (kind: KindName, name: string): { namespace?: string; name: string } => (kind === "Cloud" ? { name } : { namespace: ns, name });

describe("kstatus on a real kube-apiserver: Reconciling/Stalled as the real library reads them", () => {
  let cluster: TestCluster;
  let client: KubeClient;
  const cases = kstatusCases();

  const create = async (kind: KindName, name: string): Promise<KubeObject> => {
    const rt = resourceOf(kind);
    return client.create<KubeObject>(collectionPath(rt, kind === "Cloud" ? undefined : ns), { apiVersion, kind, metadata: refOf(kind, name), spec: specOf(kind) });
  };
  const get = (kind: KindName, name: string): Promise<KubeObject> => client.get<KubeObject>(objectPath(resourceOf(kind), refOf(kind, name)));
  const writeStatus = async (kind: KindName, name: string, status: unknown): Promise<void> => {
    await updateStatus<KubeObject>(client, resourceOf(kind), refOf(kind, name), { mutate: (o) => { (o as { status?: unknown }).status = structuredClone(status); } });
  };
  const kubectlWait = (args: string[]): Promise<number> => new Promise((resolve, reject) => {
    const child = spawn(kubectlPath, ["wait", ...args], { env: { ...process.env, KUBECONFIG: cluster.kubeconfig }, stdio: "ignore" });
    child.on("error", reject);
    child.on("close", (code) => resolve(code ?? -1));
  });

  before(async () => {
    assert.ok(existsSync(checker), `${checker} is missing: run \`make kstatus-check\` (scripts/kstatus-build.sh) first`);
    cluster = await useCluster();
    client = await KubeClient.create(cluster.kubeconfig);
    await client.create(collectionPath({ group: "", version: "v1", plural: "namespaces", namespaced: false, kind: "Namespace" }), { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    for (const c of cases) {
      await create(c.kind, nameOf(c));
      await writeStatus(c.kind, nameOf(c), c.status);
    }
  });

  after(async () => {
    if (cluster === undefined) return;
    await cluster.kubectl(["delete", "namespace", ns, "--wait=false", "--ignore-not-found"]);
    await cluster.kubectl(["delete", "lbcloud", ...cases.filter((c) => c.kind === "Cloud").map(nameOf), "--ignore-not-found", "--wait=false"]);
  });

  test("every kind in each state: the library computes Current, InProgress or Failed as our conditions say", async () => {
    const objs = await Promise.all(cases.map((c) => get(c.kind, nameOf(c))));
    for (const [i, o] of objs.entries()) {
      const c = cases[i] as KstatusCase;
      assert.equal(o.metadata.generation, 1, `${c.kind}/${c.name}: a fresh object`);
      assert.ok(((o as { status?: { conditions?: unknown[] } }).status?.conditions ?? []).length >= 3, `${c.kind}/${c.name}: the apiserver kept the conditions`);
    }
    const got = await kstatus(objs);
    const mismatches = cases.flatMap((c, i) => (got[i]?.status === c.kstatus ? [] : [`${c.kind}/${c.name}: want ${c.kstatus}, kstatus says ${got[i]?.status} (${got[i]?.message})`]));
    assert.deepEqual(mismatches, []);
    // The Failed message is our Stalled message, the cloud's or the planner's own words.
    const failed = cases.findIndex((c) => c.kind === "ServiceEngineGroup" && c.kstatus === "Failed");
    assert.match(got[failed]?.message ?? "", /more SE\(s\) needed than maxSEs allows/);
  });

  test("without Reconciling/Stalled the library could not tell: failures read InProgress, a Pool without Ready always Current", async () => {
    const objs = await Promise.all(cases.map((c) => get(c.kind, nameOf(c))));
    const stripped = objs.map((o) => {
      const s = structuredClone(o) as KubeObject & { status?: { conditions?: { type: string }[] } };
      if (s.status?.conditions !== undefined) s.status.conditions = s.status.conditions.filter((c) => c.type !== "Reconciling" && c.type !== "Stalled");
      return s;
    });
    const got = await kstatus(stripped);
    for (const [i, c] of cases.entries()) {
      if (c.kstatus !== "Failed") continue;
      // A Pool without member health (no Ready) reads Current whatever Resolved says.
      const hasReady = (c.status.conditions ?? []).some((x) => x.type === "Ready");
      assert.equal(got[i]?.status, c.kind === "Pool" && !hasReady ? "Current" : "InProgress", `${c.kind}/${c.name} without the conditions`);
    }
    // Before Pools had Ready without the SE API, one waiting for its Cloud looked done.
    const waiting = cases.findIndex((c) => c.kind === "Pool" && c.kstatus === "InProgress" && !(c.status.conditions ?? []).some((x) => x.type === "Ready"));
    assert.equal(got[waiting]?.status, "Current", "a Pool (Resolved only) waiting for its Cloud looks done to kstatus without Reconciling");
  });

  test("a new object is InProgress before the operator ever wrote its status (the CRDs default observedGeneration to 0)", async () => {
    const fresh = await create("VirtualService", "never-seen");
    assert.deepEqual((fresh as { status?: unknown }).status, { observedGeneration: 0 });
    const [v] = await kstatus([fresh]);
    assert.equal(v?.status, "InProgress", v?.message);
  });

  test("an edit not yet observed is InProgress, and Current again once the status describes it", async () => {
    const c = cases.find((x) => x.kind === "Pool" && x.kstatus === "Current") as KstatusCase;
    const before = await get("Pool", c.name);
    const edited = await client.patch<KubeObject>(objectPath(resourceOf("Pool"), refOf("Pool", c.name)), { spec: { servers: [{ ip: "20.0.0.4", port: 80 }] } }, "merge");
    assert.equal(edited.metadata.generation, (before.metadata.generation ?? 0) + 1);
    assert.deepEqual((await kstatus([edited])).map((v) => v.status), ["InProgress"]);
    // The Pool controller's next write: the same conditions for the new generation, through the hook.
    await updateStatus<PoolObj>(client, resourceOf("Pool"), refOf("Pool", c.name), {
      mutate: withKstatus("Pool", (o) => {
        const st = (o.status ??= {});
        st.observedGeneration = o.metadata.generation ?? 0;
        for (const cond of st.conditions ?? []) cond.observedGeneration = o.metadata.generation ?? 0;
      }, () => new Date()),
    });
    assert.deepEqual((await kstatus([await get("Pool", c.name)])).map((v) => v.status), ["Current"]);
  });

  test("an object being deleted is Terminating", async () => {
    const rt = resourceOf("ServiceEngine");
    const se = await create("ServiceEngine", "going");
    const held = await addFinalizer<KubeObject>(client, rt, se, "lb.contrail-operator.io/test-hold");
    await client.delete(objectPath(rt, refOf("ServiceEngine", "going")));
    const deleting = await get("ServiceEngine", "going");
    assert.ok(deleting.metadata.deletionTimestamp !== undefined);
    assert.deepEqual((await kstatus([deleting])).map((v) => v.status), ["Terminating"]);
    await removeFinalizer(client, rt, deleting ?? held, "lb.contrail-operator.io/test-hold");
  });

  test("kubectl wait --for=condition=Ready returns when the object becomes Ready, and times out on a failed one", async () => {
    const converging = cases.find((x) => x.kind === "VirtualService" && x.name === "waiting-for-ses") as KstatusCase;
    const up = cases.find((x) => x.kind === "VirtualService" && x.name === "up") as KstatusCase;
    const waiting = kubectlWait([`lbvs/${converging.name}`, "-n", ns, "--for=condition=Ready", "--timeout=60s"]);
    await new Promise((r) => setTimeout(r, 1_000));
    await writeStatus("VirtualService", converging.name, up.status);
    assert.equal(await waiting, 0, "kubectl wait saw Ready=True");
    assert.notEqual(await kubectlWait(["lbseg/at-max-ses", "-n", ns, "--for=condition=Ready", "--timeout=2s"]), 0);
    // The kstatus conditions are waitable too: Stalled=True on a failure, Reconciling=False once settled.
    assert.equal(await kubectlWait(["lbseg/at-max-ses", "-n", ns, "--for=condition=Stalled", "--timeout=10s"]), 0);
    assert.equal(await kubectlWait([`lbvs/${converging.name}`, "-n", ns, "--for=condition=Reconciling=false", "--timeout=10s"]), 0);
  });

  test("kubectl get -o wide shows the readiness reason and message; ServiceEngines and Pools have a READY column", async () => {
    const wide = await cluster.kubectl(["get", "lbseg/at-max-ses", "lbse/boot-failed", "lbpool/unresolved", "-n", ns, "-o", "wide"]);
    assert.equal(wide.code, 0, wide.stderr);
    assert.match(wide.stdout, /^NAME\s+HA\s+SES\s+READY-SES\s+READY\s+AGE\s+REASON\s+MESSAGE$/m);
    assert.match(wide.stdout, /at-max-ses\s.*\sFalse\s+\S+\s+MaxSEsReached\s+2 more SE\(s\) needed than maxSEs allows/);
    assert.match(wide.stdout, /^NAME\s+SERVER\s+STATE\s+MGMT-IP\s+VS\s+READY\s+AGE\s+REASON\s+MESSAGE$/m);
    assert.match(wide.stdout, /boot-failed\s.*\sFalse\s+\S+\s+Booting\s+the server is not ACTIVE yet/);
    assert.match(wide.stdout, /^NAME\s+SERVERS\s+RESOLVED\s+UP\s+READY\s+AGE\s+REASON\s+MESSAGE$/m);
    assert.match(wide.stdout, /unresolved\s.*\sFalse\s+\S+\s+Unresolved\s+1 of 2 servers resolved; 30\.0\.0\.3: /);
    // The Pool's READY column, with the SE API (member health) and without it (Resolved mirrored).
    const pools = await cluster.kubectl(["get", "lbpool/members-up", "lbpool/resolved", "lbpool/no-member-up", "-n", ns]);
    assert.match(pools.stdout, /^NAME\s+SERVERS\s+RESOLVED\s+UP\s+READY\s+AGE$/m);
    for (const [name, ready] of [["members-up", "True"], ["resolved", "True"], ["no-member-up", "False"]]) assert.match(pools.stdout, new RegExp(`^${name}\\s.*\\s${ready}\\s+\\S+$`, "m"), pools.stdout);
    const plain = await cluster.kubectl(["get", "lbse/ready", "-n", ns]);
    assert.match(plain.stdout, /^NAME\s+SERVER\s+STATE\s+MGMT-IP\s+VS\s+READY\s+AGE$/m);
    assert.match(plain.stdout, /^ready\s.*\sTrue\s+\S+$/m);
  });

  test("kubectl wait --all over a namespace of converged objects: Ready on every kind, Pools included", async () => {
    const ready = `${ns}-ready`;
    await cluster.kubectl(["create", "namespace", ready]);
    try {
      for (const kind of ["ServiceEngineGroup", "ServiceEngine", "Pool", "VirtualService"] as const) {
        const c = cases.find((x) => x.kind === kind && x.kstatus === "Current") as KstatusCase;
        await client.create(collectionPath(resourceOf(kind), ready), { apiVersion, kind, metadata: { namespace: ready, name: c.name }, spec: specOf(kind) });
        await updateStatus<KubeObject>(client, resourceOf(kind), { namespace: ready, name: c.name }, { mutate: (o) => { (o as { status?: unknown }).status = structuredClone(c.status); } });
      }
      // Pools included: without the SE API their Ready mirrors Resolved (pool/ready.ts).
      assert.equal(await kubectlWait(["lbseg,lbse,lbpool,lbvs", "--all", "-n", ready, "--for=condition=Ready", "--timeout=20s"]), 0);
      // Every kind, Pools included, in one command: nothing left converging, nothing stalled.
      assert.equal(await kubectlWait(["lbseg,lbse,lbpool,lbvs", "--all", "-n", ready, "--for=condition=Reconciling=false", "--timeout=20s"]), 0);
      assert.equal(await kubectlWait(["lbseg,lbse,lbpool,lbvs", "--all", "-n", ready, "--for=condition=Stalled=false", "--timeout=20s"]), 0);
    } finally {
      await cluster.kubectl(["delete", "namespace", ready, "--wait=false"]);
    }
  });
});
