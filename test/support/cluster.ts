// A real etcd + kube-apiserver for tests. The shell scripts in scripts/ are the one source of
// truth for starting and stopping (the Makefile and the demo use them too); this module calls
// them and adds the conveniences tests need (kubectl runner, ServiceAccount kubeconfigs).
import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYAML } from "yaml";

export interface TestCluster {
  kubeconfig: string; // path of an admin kubeconfig (client cert in system:masters)
  server: string; // https://127.0.0.1:<port>
  etcdURL: string; // http://127.0.0.1:<port> (for compaction via etcd's /v3/kv/compaction JSON gateway)
  dir: string; // instance directory
  kubectl(args: string[], opts?: { input?: string }): Promise<{ code: number; stdout: string; stderr: string }>;
  serviceAccountKubeconfig(namespace: string, name: string): Promise<string>; // kubeconfig path using a TokenRequest token
  stop(): Promise<void>;
}

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const scripts = join(repoRoot, "scripts");
/** The pinned kubectl built by `make envtest`. */
export const kubectlPath = join(repoRoot, ".local", "bin", "kubectl");

interface ClusterFile {
  kubeconfig: string;
  server: string;
  etcdURL: string;
  dir: string;
}

interface KubeconfigShape {
  "current-context"?: string;
  contexts?: { name: string; context: { cluster: string } }[];
  clusters?: { name: string; cluster: { server: string; "certificate-authority-data"?: string } }[];
}

/** Clusters this process started and has not stopped yet; torn down at exit. */
const owned = new Set<string>();

function runScript(script: string, args: string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    execFile(join(scripts, script), args, { cwd: repoRoot, maxBuffer: 16 << 20 }, (err, _stdout, stderr) => {
      if (!err) return resolvePromise();
      // The scripts print one "what went wrong; how to fix" line: surface it, not a stack.
      const line = stderr.trim().split("\n").filter(Boolean).pop() ?? err.message;
      reject(new Error(`${script}: ${line.replace(/^[a-z-]+: /, "")}`));
    });
  });
}

function runKubectl(
  kubeconfig: string,
  cacheDir: string,
  args: string[],
  opts: { input?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(kubectlPath, ["--kubeconfig", kubeconfig, "--cache-dir", cacheDir, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => reject(new Error(`cannot run ${kubectlPath} (run 'make envtest'): ${e.message}`)));
    child.on("close", (code) =>
      resolvePromise({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
    // kubectl may exit before reading stdin (e.g. `auth can-i`); its exit status tells the story.
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
  });
}

async function readKubeconfigCluster(path: string): Promise<{ server: string; caData: string }> {
  const cfg = parseYAML(await readFile(path, "utf8")) as KubeconfigShape;
  const ctx = cfg.contexts?.find((c) => c.name === cfg["current-context"]) ?? cfg.contexts?.[0];
  const cluster = cfg.clusters?.find((c) => c.name === ctx?.context.cluster) ?? cfg.clusters?.[0];
  if (!cluster) throw new Error(`kubeconfig ${path} names no cluster`);
  return { server: cluster.cluster.server, caData: cluster.cluster["certificate-authority-data"] ?? "" };
}

function makeCluster(info: ClusterFile, stop: () => Promise<void>): TestCluster {
  const kubectl = (args: string[], opts?: { input?: string }) => runKubectl(info.kubeconfig, join(info.dir, "kubecache"), args, opts);
  return {
    ...info,
    kubectl,
    stop,
    async serviceAccountKubeconfig(namespace: string, name: string): Promise<string> {
      const objects = [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } },
      ];
      const applied = await kubectl(["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }) });
      if (applied.code !== 0) throw new Error(`creating ServiceAccount ${namespace}/${name}: ${applied.stderr.trim()}`);
      // `kubectl create token` is the TokenRequest API (POST .../serviceaccounts/<name>/token).
      const token = await kubectl(["create", "token", name, "-n", namespace, "--duration=24h"]);
      if (token.code !== 0) throw new Error(`TokenRequest for ${namespace}/${name}: ${token.stderr.trim()}`);
      const { server, caData } = await readKubeconfigCluster(info.kubeconfig);
      const user = `system:serviceaccount:${namespace}:${name}`;
      const kubeconfig = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "lbop-test", cluster: { server, "certificate-authority-data": caData } }],
        users: [{ name: user, user: { token: token.stdout.trim() } }],
        contexts: [{ name: user, context: { cluster: "lbop-test", user, namespace } }],
        "current-context": user,
      };
      const path = join(info.dir, `sa-${namespace}-${name}.kubeconfig`);
      await writeFile(path, JSON.stringify(kubeconfig, null, 2), { mode: 0o600 });
      return path;
    },
  };
}

export interface StartOptions {
  /** Apply crds/*.yaml and wait until Established and discovered (default true). */
  installCRDs?: boolean;
  /**
   * Also run kube-controller-manager with the namespace, garbage-collector, ClusterRole
   * aggregation, ServiceAccount and kube-root-ca.crt controllers (default false, as envtest).
   * Needs `scripts/envtest-build.sh --with-controller-manager` once.
   */
  controllerManager?: boolean;
}

/** Starts a private cluster in a new instance directory (under .local/). Stop it with stop(). */
export async function startCluster(opts: StartOptions = {}): Promise<TestCluster> {
  await mkdir(join(repoRoot, ".local"), { recursive: true });
  const dir = await mkdtemp(join(repoRoot, ".local", "cluster-test."));
  owned.add(dir);
  installExitHandlers();
  try {
    const flags = [...(opts.installCRDs === false ? ["--no-crds"] : []), ...(opts.controllerManager ? ["--controller-manager"] : [])];
    await runScript("cluster-up.sh", [...flags, dir]);
  } catch (e) {
    owned.delete(dir);
    await rm(dir, { recursive: true, force: true }); // cluster-up.sh stopped what it had started
    throw e;
  }
  const info = JSON.parse(await readFile(join(dir, "cluster.json"), "utf8")) as ClusterFile;
  let stopped = false;
  return makeCluster(info, async () => {
    if (stopped) return;
    stopped = true;
    await runScript("cluster-down.sh", [dir]);
    // This helper made the directory, so it also removes what tests left in it.
    await rm(dir, { recursive: true, force: true });
    owned.delete(dir);
  });
}

let shared: Promise<TestCluster> | undefined;

/**
 * The shared cluster named by LBOP_TEST_KUBECONFIG (+ LBOP_TEST_ETCD_URL, LBOP_TEST_CLUSTER_DIR)
 * when set — its owner (scripts/with-cluster.sh) tears it down, so stop() is a no-op — else a
 * private cluster started once per process and stopped at exit.
 */
export function useCluster(): Promise<TestCluster> {
  shared ??= openShared().catch((e: unknown) => {
    shared = undefined;
    throw e;
  });
  return shared;
}

async function openShared(): Promise<TestCluster> {
  const kubeconfig = process.env["LBOP_TEST_KUBECONFIG"];
  if (!kubeconfig) {
    const cluster = await startCluster();
    return {
      ...cluster,
      async stop() {
        shared = undefined;
        await cluster.stop();
      },
    };
  }
  if (!existsSync(kubeconfig)) throw new Error(`LBOP_TEST_KUBECONFIG=${kubeconfig} does not exist; start a cluster with scripts/with-cluster.sh`);
  const { server } = await readKubeconfigCluster(kubeconfig);
  const dir = process.env["LBOP_TEST_CLUSTER_DIR"] ?? (await mkdtemp(join(repoRoot, ".local", "cluster-shared.")));
  return makeCluster({ kubeconfig, server, etcdURL: process.env["LBOP_TEST_ETCD_URL"] ?? "", dir }, async () => {});
}

let handlersInstalled = false;
/** Synchronous teardown on exit and on SIGINT/SIGTERM, so no apiserver outlives the test process. */
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const stopAll = () => {
    for (const dir of owned) {
      try {
        execFileSync(join(scripts, "cluster-down.sh"), [dir], { stdio: "ignore" });
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort at exit; cluster-down.sh itself never fails
      }
    }
    owned.clear();
  };
  process.on("exit", stopAll);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      stopAll();
      process.kill(process.pid, signal);
    });
  }
}
