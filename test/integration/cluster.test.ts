// The test control plane itself: a second instance beside the shared one, ServiceAccount
// kubeconfigs through TokenRequest + RBAC, etcd's JSON gateway, clean stops (also after an etcd
// crash), and the one-line errors of cluster-up for a stale directory, a taken port and missing binaries.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { kubectlPath, repoRoot, startCluster, useCluster, type TestCluster } from "../support/cluster.js";

/** Running, not merely a zombie: orphans may be re-parented to a process that never reaps them. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

async function pids(dir: string): Promise<{ etcd: number; apiserver: number }> {
  const read = async (name: string) => Number((await readFile(join(dir, `${name}.pid`), "utf8")).trim());
  return { etcd: await read("etcd"), apiserver: await read("apiserver") };
}

function clusterUp(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(join(repoRoot, "scripts", "cluster-up.sh"), args, { env: { ...process.env, ...env } }, (err, _out, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stderr }),
    );
  });
}

async function etcdPost(etcdURL: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${etcdURL}${path}`, { method: "POST", body: JSON.stringify(body) });
  const text = await res.text();
  assert.equal(res.status, 200, `${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

describe("test control plane", () => {
  test("a second instance runs beside the shared one and stops cleanly even after etcd crashed", async () => {
    const shared = await useCluster();
    const second = await startCluster({ installCRDs: false });
    try {
      assert.notEqual(second.server, shared.server);
      assert.notEqual(second.etcdURL, shared.etcdURL);
      const ns = await second.kubectl(["get", "ns", "-o", "name"]);
      assert.equal(ns.code, 0, ns.stderr);
      assert.match(ns.stdout, /^namespace\/kube-system$/m);
      const crds = await second.kubectl(["get", "crd", "-o", "name"]);
      assert.equal(crds.stdout.trim(), "", "installCRDs: false still installed CRDs");

      // etcd's JSON gateway: the revision moves with writes, and compaction to it is accepted.
      const status = await etcdPost(second.etcdURL, "/v3/maintenance/status", {});
      const revision = Number((status["header"] as { revision?: string } | undefined)?.revision);
      assert.ok(revision > 1, `etcd revision ${revision}`);
      await etcdPost(second.etcdURL, "/v3/kv/compaction", { revision: String(revision), physical: true });

      const { etcd, apiserver } = await pids(second.dir);
      process.kill(etcd, "SIGKILL");
      const deadline = Date.now() + 10_000;
      while (alive(etcd) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await second.stop();
      assert.ok(!alive(apiserver), "kube-apiserver still running after stop()");
      assert.ok(!existsSync(second.dir), `instance dir ${second.dir} left behind`);
    } finally {
      await second.stop();
    }
  });

  test("with --controller-manager, namespaces finish deleting and owned objects are garbage-collected", async () => {
    const cluster = await startCluster({ installCRDs: false, controllerManager: true });
    try {
      const k = async (args: string[], input?: string) => {
        const r = await cluster.kubectl(args, input === undefined ? {} : { input });
        assert.equal(r.code, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
        return r.stdout;
      };
      await k(["create", "namespace", "gone"]);
      await k(["create", "configmap", "owner", "-n", "gone"]);
      const ownerUID = await k(["get", "configmap", "owner", "-n", "gone", "-o", "jsonpath={.metadata.uid}"]);
      await k(["create", "-f", "-"], JSON.stringify({
        apiVersion: "v1", kind: "ConfigMap",
        metadata: { name: "owned", namespace: "gone", ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: ownerUID }] },
      }));
      await k(["delete", "configmap", "owner", "-n", "gone"]);
      // Garbage collector: the dependent goes once its owner is gone.
      await k(["wait", "--for=delete", "configmap/owned", "-n", "gone", "--timeout=60s"]);
      // Namespace controller: the namespace is emptied and removed, not left Terminating.
      await k(["delete", "namespace", "gone", "--wait=true", "--timeout=60s"]);
      const ns = await cluster.kubectl(["get", "namespace", "gone"]);
      assert.match(ns.stderr, /NotFound/);
      // ClusterRole aggregation: "view" has the rules aggregated into it.
      const rules = await k(["get", "clusterrole", "view", "-o", "jsonpath={.rules[*].resources}"]);
      assert.match(rules, /configmaps/);
    } finally {
      await cluster.stop();
    }
  });

  describe("ServiceAccount kubeconfig", () => {
    let cluster: TestCluster;
    const ns = `it-sa-${randomBytes(3).toString("hex")}`;
    before(async () => {
      cluster = await useCluster();
    });

    test("acts as the ServiceAccount (TokenRequest token) and is held to RBAC", async () => {
      const kubeconfig = await cluster.serviceAccountKubeconfig(ns, "operator");
      const as = (args: string[]) =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
          execFile(kubectlPath, ["--kubeconfig", kubeconfig, "--cache-dir", join(cluster.dir, "kubecache"), ...args],
            (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr })),
        );
      const who = await as(["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"]);
      assert.equal(who.code, 0, who.stderr);
      assert.equal(who.stdout, `system:serviceaccount:${ns}:operator`);

      const denied = await as(["get", "configmaps", "-n", ns]);
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /forbidden/i);

      // An explicit Role: the aggregated ClusterRoles (view/edit/admin) stay empty without
      // kube-controller-manager's aggregation controller.
      for (const args of [["create", "role", "cm-reader", "--verb=get,list", "--resource=configmaps"],
        ["create", "rolebinding", "operator-cm-reader", "--role=cm-reader", `--serviceaccount=${ns}:operator`]]) {
        const rbac = await cluster.kubectl([...args, "-n", ns]);
        assert.equal(rbac.code, 0, rbac.stderr);
      }
      const deadline = Date.now() + 10_000; // the authorizer's informer catches up asynchronously
      let allowed = await as(["get", "configmaps", "-n", ns, "-o", "name"]);
      while (allowed.code !== 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        allowed = await as(["get", "configmaps", "-n", ns, "-o", "name"]);
      }
      assert.equal(allowed.code, 0, allowed.stderr);
    });
  });

  describe("cluster-up failures give one clear line", () => {
    const base = join(repoRoot, ".local");
    let dir: string;
    before(async () => {
      await mkdir(base, { recursive: true });
      dir = await mkdtemp(join(base, "cluster-fault."));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    const oneLine = (stderr: string) => {
      const lines = stderr.trim().split("\n");
      assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
      assert.match(lines[0] ?? "", /^cluster-up: /);
      return lines[0] ?? "";
    };

    test("a stale data dir names the fix", async () => {
      await mkdir(join(dir, "etcd"), { recursive: true });
      try {
        const r = await clusterUp([dir]);
        assert.equal(r.code, 1);
        assert.match(oneLine(r.stderr), /stale instance data in .* clean it with 'scripts\/cluster-down\.sh /);
      } finally {
        await rm(join(dir, "etcd"), { recursive: true });
      }
    });

    test("a taken port names the port and the fix", async () => {
      const server: Server = createServer();
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const port = (server.address() as { port: number }).port;
      try {
        const r = await clusterUp([dir], { LBOP_APISERVER_PORT: String(port) });
        assert.equal(r.code, 1);
        assert.match(oneLine(r.stderr), new RegExp(`port ${port} \\(kube-apiserver\\) .* already in use.*unset LBOP_APISERVER_PORT`));
      } finally {
        server.close();
      }
    });

    test("a port that cannot be bound names the process and the fix", async () => {
      // Client and peer pinned to the same free port: etcd itself fails to bind the second one.
      const server: Server = createServer();
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const port = String((server.address() as { port: number }).port);
      await new Promise<void>((r) => server.close(() => r()));
      const r = await clusterUp([dir], { LBOP_ETCD_PORT: port, LBOP_ETCD_PEER_PORT: port });
      assert.equal(r.code, 1);
      assert.match(oneLine(r.stderr), new RegExp(`etcd could not bind \\(listen tcp 127\\.0\\.0\\.1:${port}: bind: address already in use\\); free the port`));
      assert.ok(!existsSync(join(dir, "etcd.pid")), "a failed start left its pid file");
      await mkdir(dir, { recursive: true }); // cluster-down removed the (then empty) directory
    });

    test("missing binaries point at make envtest", async () => {
      const r = await clusterUp([dir], { LBOP_ENVTEST_BIN: join(dir, "no-bin") });
      assert.equal(r.code, 1);
      assert.match(oneLine(r.stderr), /missing; run 'make envtest'/);
    });
  });
});
