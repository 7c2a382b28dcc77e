// The VirtualService scale subresource on a real kube-apiserver: `kubectl scale` writes
// spec.scaleout.minSEs (and nothing else), GET .../scale reports it with status.numSEsUp and
// status.selector, the CRD's rules still apply to a scale, and with autoscale set the scale is
// the floor the autoscaler keeps to (docs/autoscale.md) — the spec keeps its autoscale block.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { useCluster, type TestCluster } from "../support/cluster.js";

type Obj = Record<string, unknown>;

const ns = `it-scale-${randomBytes(3).toString("hex")}`;
const group = "lb.contrail-operator.io";

function vs(name: string, scaleout: Obj): Obj {
  return {
    apiVersion: `${group}/v1alpha1`,
    kind: "VirtualService",
    metadata: { name, namespace: ns },
    spec: {
      cloudRef: "jvnc2", poolRef: "vs2-pool",
      vip: [{ vipID: "0", networkRef: "vip-net" }],
      services: [{ port: 80 }],
      scaleout,
    },
  };
}

interface Scale {
  kind: string;
  apiVersion: string;
  spec: { replicas?: number };
  status: { replicas?: number; selector?: string };
}

describe("VirtualService scale subresource", () => {
  let cluster: TestCluster;

  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await cluster.kubectl(args, input !== undefined ? { input } : {});
    assert.equal(r.code, 0, `kubectl ${args.join(" ")}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  const getVS = async (name: string): Promise<Obj> => JSON.parse(await ok(["get", "lbvs", name, "-n", ns, "-o", "json"])) as Obj;
  const getScale = async (name: string): Promise<Scale> =>
    JSON.parse(await ok(["get", "--raw", `/apis/${group}/v1alpha1/namespaces/${ns}/virtualservices/${name}/scale`])) as Scale;
  const scaleout = (o: Obj): Obj => (o["spec"] as Obj)["scaleout"] as Obj;

  before(async () => {
    cluster = await useCluster();
    await ok(["create", "namespace", ns]);
  });

  after(async () => {
    // The namespace stays (no namespace controller in the shared cluster); its objects go.
    await cluster.kubectl(["delete", "lbvs", "--all", "-n", ns, "--ignore-not-found", "--wait=false"]);
  });

  test("kubectl scale lbvs/x --replicas=3 sets scaleout.minSEs only; GET .../scale shows it", async () => {
    await ok(["create", "-f", "-"], JSON.stringify(vs("plain", { ecmp: true, minSEs: 1, maxSEs: 4 })));
    const before = await getVS("plain");
    const initial = await getScale("plain");
    assert.equal(initial.kind, "Scale");
    assert.equal(initial.apiVersion, "autoscaling/v1");
    assert.equal(initial.spec.replicas, 1);
    assert.equal(initial.status.replicas, 0, "no status.numSEsUp yet reads as 0");

    await ok(["scale", "lbvs/plain", "-n", ns, "--replicas=3"]);
    const afterScale = await getVS("plain");
    assert.deepEqual(scaleout(afterScale), { ecmp: true, minSEs: 3, maxSEs: 4 });
    const { scaleout: _a, ...restAfter } = afterScale["spec"] as Obj;
    const { scaleout: _b, ...restBefore } = before["spec"] as Obj;
    assert.deepEqual(restAfter, restBefore, "the rest of spec is untouched");
    assert.equal((await getScale("plain")).spec.replicas, 3);
  });

  test("GET .../scale reports status.numSEsUp as status.replicas and status.selector as the selector", async () => {
    const status = { numSEsUp: 2, selector: `${group}/virtualservice=plain` };
    await ok(["patch", "lbvs", "plain", "-n", ns, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status })]);
    const scale = await getScale("plain");
    assert.equal(scale.status.replicas, 2);
    assert.equal(scale.status.selector, `${group}/virtualservice=plain`);
  });

  test("a scale beyond maxSEs or to 0 is refused with the CRD's own messages, and changes nothing", async () => {
    const tooMany = await cluster.kubectl(["scale", "lbvs/plain", "-n", ns, "--replicas=5"]);
    assert.notEqual(tooMany.code, 0);
    assert.match(tooMany.stderr, /scaleout\.minSEs must be less than or equal to scaleout\.maxSEs/);
    const zero = await cluster.kubectl(["scale", "lbvs/plain", "-n", ns, "--replicas=0"]);
    assert.notEqual(zero.code, 0);
    assert.match(zero.stderr, /should be greater than or equal to 1/);
    assert.equal(scaleout(await getVS("plain"))["minSEs"], 3);
  });

  test("kubectl scale --current-replicas guards against a concurrent change", async () => {
    const stale = await cluster.kubectl(["scale", "lbvs/plain", "-n", ns, "--current-replicas=1", "--replicas=2"]);
    assert.notEqual(stale.code, 0, "minSEs is 3, not 1: refused");
    await ok(["scale", "lbvs/plain", "-n", ns, "--current-replicas=3", "--replicas=2"]);
    assert.equal(scaleout(await getVS("plain"))["minSEs"], 2);
  });

  test("with autoscale set, a scale sets the floor and keeps the autoscale policy", async () => {
    const autoscale = { metric: "ConnectionsPerSE", target: 1000 };
    await ok(["create", "-f", "-"], JSON.stringify(vs("auto", { ecmp: true, minSEs: 1, maxSEs: 8, autoscale })));
    // The server filled the defaults in.
    assert.deepEqual(scaleout(await getVS("auto"))["autoscale"], { ...autoscale, scaleDownStabilizationSeconds: 300, tolerance: 0.1 });
    await ok(["scale", "lbvs/auto", "-n", ns, "--replicas=3"]);
    const s = scaleout(await getVS("auto"));
    assert.equal(s["minSEs"], 3);
    assert.deepEqual(s["autoscale"], { ...autoscale, scaleDownStabilizationSeconds: 300, tolerance: 0.1 });
  });

  test("status.autoscale as the planner writes it is accepted through /status", async () => {
    const status = {
      numSEsUp: 3,
      autoscale: {
        currentMetric: 1450, desiredSEs: 4, lastScaleTime: "2026-12-02T10:00:00Z", reason: "ScaledUp",
        message: "ConnectionsPerSE 1450 connections per SE on 3 SE(s), target 1000: scaling up from 3 to 5 SEs",
        recommendations: [{ desiredSEs: 5, time: "2026-12-02T10:00:00Z" }, { desiredSEs: 4, time: "2026-12-02T10:00:15Z" }],
      },
    };
    await ok(["patch", "lbvs", "auto", "-n", ns, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status })]);
    const got = (await getVS("auto"))["status"] as Obj;
    assert.deepEqual(got["autoscale"], status.autoscale);
    assert.equal((await getScale("auto")).status.replicas, 3);
  });
});
