// The Flux health-check expressions printed in docs/gitops.md (healthCheckExprs for a
// VirtualService), evaluated as printed — `object.` prefixed, nothing else changed — by the real
// kube-apiserver's CEL in a ValidatingAdmissionPolicy (Warn), on every state a VirtualService can
// reach (test/support/kstatus-states.ts): each must match exactly the one expression it should.
// Flux itself is not part of this repository's test environment; its CEL library is the same
// cel-go with the optional syntax the apiserver enables.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KubeClient } from "../../src/runtime/kube.js";
import { collectionPath, type KubeObject } from "../../src/runtime/objects.js";
import { updateStatus } from "../../src/runtime/status.js";
import { resourceOf } from "../../src/controllers/model/index.js";
import { repoRoot, useCluster, type TestCluster } from "../support/cluster.js";
import { kstatusCases, type KstatusCase } from "../support/kstatus-states.js";
import { waitFor } from "../support/wait.js";

const suffix = randomBytes(3).toString("hex");
const ns = `it-cel-${suffix}`;
const policy = `it-flux-health-${suffix}`;
const VERDICTS = ["current", "failed", "inProgress"] as const;

/** The three expressions of the VirtualService entry, from the page. */
function documented(): Record<(typeof VERDICTS)[number], string> {
  const page = readFileSync(join(repoRoot, "docs", "gitops.md"), "utf8");
  const block = /healthCheckExprs:\n(?: {4}.*\n)*? {6}kind: VirtualService\n((?: {6}.*\n)+)/.exec(page)?.[1];
  assert.ok(block !== undefined, "docs/gitops.md has a healthCheckExprs entry for VirtualService");
  const out: Partial<Record<(typeof VERDICTS)[number], string>> = {};
  for (const v of VERDICTS) {
    const m = new RegExp(`^ {6}${v}: >-\\n((?: {8}.*\\n)+)`, "m").exec(block);
    assert.ok(m?.[1] !== undefined, `the ${v} expression`);
    out[v] = m[1].split("\n").map((l) => l.trim()).filter((l) => l !== "").join(" ");
  }
  return out as Record<(typeof VERDICTS)[number], string>;
}

/** Flux evaluates against the object's fields; a policy against `object`. */
const prefixed = (expr: string): string => expr.replace(/(?<![.\w])(status|metadata)(?=\.)/g, "object.$1");

function fluxVerdict(c: KstatusCase): string {
  if (c.kind === "VirtualService" && c.name === "disabled") return "current";
  return { Current: "current", InProgress: "inProgress", Failed: "failed" }[c.kstatus];
}

describe("the documented Flux healthCheckExprs on the real apiserver's CEL", () => {
  let cluster: TestCluster;
  let client: KubeClient;
  const cases = kstatusCases().filter((c) => c.kind === "VirtualService");
  const rt = resourceOf("VirtualService");

  /** The warnings a no-op status write of this object draws: the expressions that matched. */
  const matched = async (name: string): Promise<string[]> => {
    const r = await cluster.kubectl(["patch", "lbvs", name, "-n", ns, "--subresource=status", "--type=merge", "-p", "{\"status\":{}}"]);
    assert.equal(r.code, 0, r.stderr);
    return [...r.stderr.matchAll(/flux:(current|failed|inProgress)/g)].map((m) => m[1] ?? "").sort();
  };

  before(async () => {
    cluster = await useCluster();
    client = await KubeClient.create(cluster.kubeconfig);
    await cluster.kubectl(["create", "namespace", ns]);
    const exprs = documented();
    const manifest = {
      apiVersion: "v1", kind: "List", items: [
        {
          apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicy", metadata: { name: policy },
          spec: {
            failurePolicy: "Fail",
            matchConstraints: { resourceRules: [{ apiGroups: ["lb.contrail-operator.io"], apiVersions: ["v1alpha1"], operations: ["UPDATE"], resources: ["virtualservices/status"] }] },
            // A validation "fails" (and warns) when its expression matches: !(expr).
            validations: VERDICTS.map((v) => ({ expression: `!(${prefixed(exprs[v])})`, message: `flux:${v}` })),
          },
        },
        {
          apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicyBinding", metadata: { name: policy },
          spec: { policyName: policy, validationActions: ["Warn"], matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } } },
        },
      ],
    };
    const r = await cluster.kubectl(["apply", "-f", "-"], { input: JSON.stringify(manifest) });
    assert.equal(r.code, 0, r.stderr);
    for (const c of cases) {
      await client.create(collectionPath(rt, ns), {
        apiVersion: "lb.contrail-operator.io/v1alpha1", kind: "VirtualService", metadata: { name: c.name, namespace: ns },
        spec: { cloudRef: "jvnc2", poolRef: "p", vip: [{ vipID: "0", networkRef: "vip-net" }], services: [{ port: 80 }], scaleout: { ecmp: true, minSEs: 1, maxSEs: 2 } },
      });
      await updateStatus<KubeObject>(client, rt, { namespace: ns, name: c.name }, { mutate: (o) => { (o as { status?: unknown }).status = structuredClone(c.status); } });
    }
    await client.create(collectionPath(rt, ns), {
      apiVersion: "lb.contrail-operator.io/v1alpha1", kind: "VirtualService", metadata: { name: "never-seen", namespace: ns },
      spec: { cloudRef: "jvnc2", poolRef: "p", vip: [{ vipID: "0", networkRef: "vip-net" }], services: [{ port: 80 }], scaleout: { ecmp: true, minSEs: 1, maxSEs: 2 } },
    });
    // The policy is enforced once the apiserver has compiled and loaded it.
    await waitFor(async () => (await matched("up")).length > 0, { what: "the policy in force", timeoutMs: 30_000, intervalMs: 500 });
  });

  after(async () => {
    if (cluster === undefined) return;
    await cluster.kubectl(["delete", "validatingadmissionpolicybinding,validatingadmissionpolicy", policy, "--ignore-not-found"]);
    await cluster.kubectl(["delete", "namespace", ns, "--wait=false", "--ignore-not-found"]);
  });

  test("each VirtualService state matches exactly its one expression", async () => {
    const got: string[] = [];
    for (const c of cases) got.push(`${c.name}: ${(await matched(c.name)).join(",")}`);
    got.push(`never-seen: ${(await matched("never-seen")).join(",")}`);
    assert.deepEqual(got, [...cases.map((c) => `${c.name}: ${fluxVerdict(c)}`), "never-seen: inProgress"]);
  });
});
