// The CRDs as users meet them, on a real kube-apiserver: samples apply, printer columns show,
// `kubectl explain` documents fields, the status subresource and generation behave, and every
// invalid object of the shared case table is rejected by the server with the expected message.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { repoRoot, useCluster, type TestCluster } from "../support/cluster.js";
import { crdCaseNamespace, crdCases, crdUpdateCases, validBase } from "../cases/crd-cases.js";

type Obj = Record<string, unknown>;

interface CrdInfo {
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames: string[];
  columns: { name: string; priority: number }[];
  schema: Obj; // openAPIV3Schema of the storage version
}

const suffix = randomBytes(3).toString("hex");
const ns = `it-api-${suffix}`;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function get(o: unknown, ...path: string[]): unknown {
  let cur = o;
  for (const key of path) cur = isObj(cur) ? cur[key] : undefined;
  return cur;
}
function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

async function yamlDocs(path: string): Promise<Obj[]> {
  const docs = parseAllDocuments(await readFile(path, "utf8"));
  return docs.map((d) => d.toJSON() as unknown).filter(isObj);
}

async function loadCRDs(): Promise<Map<string, CrdInfo>> {
  const crds = new Map<string, CrdInfo>();
  const files = (await readdir(join(repoRoot, "crds"))).filter((f) => /\.ya?ml$/.test(f));
  for (const file of files) {
    for (const doc of await yamlDocs(join(repoRoot, "crds", file))) {
      if (doc["kind"] !== "CustomResourceDefinition") continue;
      const versions = get(doc, "spec", "versions");
      const storage = Array.isArray(versions) ? (versions as unknown[]).find((v) => get(v, "storage") === true) : undefined;
      const cols = get(storage, "additionalPrinterColumns");
      const kind = str(get(doc, "spec", "names", "kind"));
      crds.set(kind, {
        kind,
        plural: str(get(doc, "spec", "names", "plural")),
        namespaced: get(doc, "spec", "scope") === "Namespaced",
        shortNames: ((get(doc, "spec", "names", "shortNames") as unknown[] | undefined) ?? []).map(str),
        columns: (Array.isArray(cols) ? (cols as unknown[]) : []).map((c) => ({
          name: str(get(c, "name")),
          priority: Number(get(c, "priority") ?? 0),
        })),
        schema: (get(storage, "schema", "openAPIV3Schema") as Obj | undefined) ?? {},
      });
    }
  }
  return crds;
}

async function loadSamples(): Promise<{ file: string; docs: Obj[] }[]> {
  const dir = join(repoRoot, "crds", "samples");
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  return Promise.all(files.map(async (file) => ({ file: join(dir, file), docs: await yamlDocs(join(dir, file)) })));
}

function ok(r: { code: number; stdout: string; stderr: string }, what: string): string {
  assert.equal(r.code, 0, `${what} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

const squash = (s: string) => s.replace(/\s+/g, " ").trim();

describe("CRDs on a real kube-apiserver", () => {
  let cluster: TestCluster;
  let crds: Map<string, CrdInfo>;
  // Everything this file creates is deleted again: other suites share the cluster.
  const created: string[] = []; // objects to delete ("resource/name", cluster-scoped or with -n)
  const appliedDocs: { doc: Obj; nsArgs: string[] }[] = [];

  before(async () => {
    cluster = await useCluster();
    crds = await loadCRDs();
    ok(await cluster.kubectl(["create", "namespace", ns]), `create namespace ${ns}`);
  });

  after(async () => {
    // Namespaces stay: without kube-controller-manager a deleted namespace is Terminating forever,
    // which would break any later suite that uses the samples' namespace.
    for (const { doc, nsArgs } of appliedDocs) {
      if (doc["kind"] === "Namespace") continue;
      await cluster.kubectl(["delete", ...nsArgs, "-f", "-", "--ignore-not-found", "--wait=false"], { input: JSON.stringify(doc) });
    }
    for (const ref of created) await cluster.kubectl(["delete", ...ref.split(" "), "--ignore-not-found", "--wait=false"]);
  });

  test("every file in crds/samples/ applies with kubectl apply -f", async () => {
    const samples = await loadSamples();
    assert.ok(samples.length > 0, "crds/samples/ has no sample");
    for (const { file, docs } of samples) {
      const namespaces = new Set(docs.map((d) => str(get(d, "metadata", "namespace"))).filter(Boolean));
      for (const n of namespaces) {
        await cluster.kubectl(["create", "namespace", n]); // may exist already (shared cluster)
      }
      // Samples without a namespace go to this test's own namespace.
      const nsArgs = namespaces.size === 0 ? ["-n", ns] : [];
      const args = ["apply", "-f", file, ...nsArgs];
      ok(await cluster.kubectl(args), `kubectl ${args.join(" ")}`);
      appliedDocs.push(...docs.map((doc) => ({ doc, nsArgs })));
    }
  });

  test("kubectl get lbvs,lbpool,lbse,lbseg,lbcloud -A shows each kind's printer columns", async () => {
    const shortNames = ["lbvs", "lbpool", "lbse", "lbseg", "lbcloud"];
    const out = ok(await cluster.kubectl(["get", shortNames.join(","), "-A"]), "kubectl get");
    const headers = out.split("\n").filter((l) => /^(NAMESPACE\s+)?NAME\s/.test(l)).map((l) => l.trim().split(/\s+/));
    for (const short of shortNames) {
      const crd = [...crds.values()].find((c) => c.shortNames.includes(short));
      assert.ok(crd, `no CRD in crds/ has the short name ${short}`);
      // With -A every table has a NAMESPACE column, empty for the cluster-scoped Cloud.
      const expected = ["NAMESPACE", "NAME",
        ...crd.columns.filter((c) => c.priority === 0).map((c) => c.name.toUpperCase())];
      assert.ok(headers.some((h) => h.join(" ") === expected.join(" ")),
        `${crd.kind}: no table with header "${expected.join(" ")}" (are there samples of this kind?) in:\n${out}`);
      assert.ok(new RegExp(`^\\s*(\\S+\\s+)?${crd.kind.toLowerCase()}\\.lb\\.contrail-operator\\.io/`, "m").test(out),
        `${crd.kind}: no rows in:\n${out}`);
    }
  });

  test("kubectl explain virtualservice.spec.vip prints the schema's descriptions", async () => {
    const out = ok(await cluster.kubectl(["explain", "virtualservice.spec.vip"]), "kubectl explain");
    const vs = crds.get("VirtualService");
    assert.ok(vs, "crds/ has no VirtualService CRD");
    const vip = get(vs.schema, "properties", "spec", "properties", "vip");
    const description = str(get(vip, "description"));
    assert.ok(description.length > 0, "spec.vip has no description in the CRD");
    assert.ok(squash(out).includes(squash(description)), `explain output lacks the description of spec.vip:\n${out}`);
    const itemFields = Object.keys((get(vip, "items", "properties") as Obj | undefined) ?? {});
    for (const field of itemFields) assert.match(out, new RegExp(`^\\s+${field}\\b`, "m"), `explain lists no field ${field}`);
  });

  describe("status subresource and generation", () => {
    const name = `it-api-gen-${suffix}`;
    let manifest: Obj;
    const getCloud = async (): Promise<Obj> =>
      JSON.parse(ok(await cluster.kubectl(["get", "clouds.lb.contrail-operator.io", name, "-o", "json"]), "get cloud")) as Obj;

    before(async () => {
      const cloudSample = (await loadSamples()).flatMap((s) => s.docs).find((d) => d["kind"] === "Cloud");
      assert.ok(cloudSample, "crds/samples/ has no Cloud sample");
      manifest = structuredClone(cloudSample);
      manifest["metadata"] = { name };
      ok(await cluster.kubectl(["create", "-f", "-"], { input: JSON.stringify(manifest) }), "create cloud");
      created.push(`clouds.lb.contrail-operator.io/${name}`);
    });

    test("a spec change bumps metadata.generation; a metadata-only change does not", async () => {
      const before = await getCloud();
      assert.equal(get(before, "metadata", "generation"), 1);
      const period = Number(get(before, "spec", "resyncPeriodSeconds"));
      ok(await cluster.kubectl(["label", "clouds.lb.contrail-operator.io", name, "lbop-test=1"]), "label");
      assert.equal(get(await getCloud(), "metadata", "generation"), 1, "a label change bumped generation");
      const patch = { spec: { resyncPeriodSeconds: period === 45 ? 46 : 45 } };
      ok(await cluster.kubectl(["patch", "clouds.lb.contrail-operator.io", name, "--type=merge", "-p", JSON.stringify(patch)]), "patch spec");
      const after = await getCloud();
      assert.equal(get(after, "metadata", "generation"), 2);
      assert.equal(get(after, "spec", "resyncPeriodSeconds"), patch.spec.resyncPeriodSeconds);
    });

    test("a /status patch sets status and leaves spec and generation alone", async () => {
      const before = await getCloud();
      const generation = Number(get(before, "metadata", "generation"));
      const status = {
        observedGeneration: generation,
        conditions: [{ type: "Ready", status: "False", reason: "StatusPatchTest", message: "set through /status",
          lastTransitionTime: "2026-01-01T00:00:00Z", observedGeneration: generation }],
      };
      // The spec part of this body must be ignored by the status subresource.
      const body = { status, spec: { resyncPeriodSeconds: 3600, keystone: { region: "Elsewhere" } } };
      ok(await cluster.kubectl(["patch", "clouds.lb.contrail-operator.io", name, "--subresource=status", "--type=merge",
        "-p", JSON.stringify(body)]), "patch status");
      const after = await getCloud();
      assert.deepEqual(get(after, "spec"), get(before, "spec"), "status patch changed spec");
      assert.equal(get(after, "metadata", "generation"), generation, "status patch bumped generation");
      assert.equal(get(after, "status", "observedGeneration"), generation);
      const conditions = get(after, "status", "conditions") as Obj[];
      assert.equal(conditions[0]?.["reason"], "StatusPatchTest");
      assert.notEqual(get(after, "metadata", "resourceVersion"), get(before, "metadata", "resourceVersion"));
      // And the main resource ignores status: a spec update cannot overwrite it.
      ok(await cluster.kubectl(["patch", "clouds.lb.contrail-operator.io", name, "--type=merge",
        "-p", JSON.stringify({ status: { observedGeneration: 999 } })]), "patch main resource with status");
      assert.equal(get(await getCloud(), "status", "observedGeneration"), generation);
    });
  });

  describe("the shared case table (test/cases/crd-cases.ts) against the server", () => {
    // Server-side dry run: full validation (schema, CEL, defaulting, strict field validation)
    // without storing anything. Namespace-less manifests (cluster-scoped kinds) ignore -n.
    const dryRun = (verb: "create" | "replace", manifest: Obj) =>
      cluster.kubectl([verb, "--dry-run=server", "--validate=strict", "-o", "name", "-n", crdCaseNamespace, "-f", "-"],
        { input: JSON.stringify(manifest) });

    before(async () => {
      const r = await cluster.kubectl(["create", "namespace", crdCaseNamespace]);
      assert.ok(r.code === 0 || r.stderr.includes("AlreadyExists"), r.stderr);
    });

    test("the valid base objects are accepted (so each rejection is the case's own change)", async () => {
      for (const [kind, make] of Object.entries(validBase)) {
        const r = await dryRun("create", make());
        assert.equal(r.code, 0, `valid base ${kind} rejected: ${r.stderr.trim()}`);
      }
    });

    test("every invalid object is rejected with the expected message", async (t) => {
      assert.ok(crdCases.length > 0, "crdCases is empty");
      for (const c of crdCases) {
        await t.test(c.name, async () => {
          const r = await dryRun("create", c.manifest);
          assert.notEqual(r.code, 0, `the server accepted the invalid object: ${r.stdout.trim()}`);
          assert.ok(r.stderr.includes(c.expect), `server message lacks "${c.expect}":\n${r.stderr.trim()}`);
        });
      }
    });

    test("every forbidden update is rejected with the expected message", async (t) => {
      for (const c of crdUpdateCases) {
        await t.test(c.name, async () => {
          ok(await cluster.kubectl(["apply", "-n", crdCaseNamespace, "-f", "-"], { input: JSON.stringify(c.old) }), `create ${c.name} old`);
          created.push(`${str(c.old["kind"]).toLowerCase()}.lb.contrail-operator.io/${str(get(c.old, "metadata", "name"))} -n ${crdCaseNamespace}`);
          const r = await dryRun("replace", c.manifest);
          assert.notEqual(r.code, 0, `the server accepted the forbidden update: ${r.stdout.trim()}`);
          assert.ok(r.stderr.includes(c.expect), `server message lacks "${c.expect}":\n${r.stderr.trim()}`);
        });
      }
    });
  });
});
