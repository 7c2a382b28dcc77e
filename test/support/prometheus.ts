// A real Prometheus (Debian's package, `prometheus` on PATH: scripts/ensure-debs.sh
// prometheus:prometheus) on loopback, scraping one operator process under the job the monitoring
// pack's rules and ServiceMonitor select, and the dashboard's queries read from the pack's JSON.
// Shared by test/e2e/monitoring-prometheus.test.ts (the operator alone) and
// test/e2e-dataplane/monitoring-dashboard.test.ts (real agents under load).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { repoRoot } from './cluster.js';
import { freePort } from './net.js';

export const MONITORING_COMPONENT = join(repoRoot, 'deploy', 'components', 'monitoring');
/** The job_name the ServiceMonitor's jobLabel makes of the operator's Service: the job the rules select. */
export const OPERATOR_JOB = 'contrail-lb-operator';

interface PromResponse<T> { status: string; data: T; error?: string }
export interface InstantSample { metric: Record<string, string>; value: [number, string] }

export interface Prometheus {
  url: string;
  /** Its stdout and stderr so far. */
  log(): string;
  /** GET an API path; asserts status success. */
  query<T>(path: string): Promise<T>;
  /** An instant query's result vector. */
  instant(expr: string): Promise<InstantSample[]>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** host:port of the operator's /metrics */
  target: string;
  /** Load the pack's PrometheusRule (its spec) as a rule file. */
  rules?: boolean;
  /** seconds; default 1 */
  scrapeIntervalS?: number;
  /** How long to wait for /-/ready and the target's first successful scrape (ms). */
  readyTimeoutMs?: number;
}

export async function startPrometheus(o: PrometheusOptions): Promise<Prometheus> {
  const work = await mkdtemp(join(tmpdir(), 'lbop-prometheus-'));
  const interval = `${o.scrapeIntervalS ?? 1}s`;
  const ruleFiles: string[] = [];
  if (o.rules === true) {
    const rule = parse(await readFile(join(MONITORING_COMPONENT, 'prometheusrule.yaml'), 'utf8')) as { spec: unknown };
    await writeFile(join(work, 'rules.yaml'), stringify(rule.spec));
    ruleFiles.push(join(work, 'rules.yaml'));
  }
  await writeFile(join(work, 'prometheus.yml'), stringify({
    global: { scrape_interval: interval, evaluation_interval: interval },
    rule_files: ruleFiles,
    scrape_configs: [{ job_name: OPERATOR_JOB, honor_labels: true, static_configs: [{ targets: [o.target], labels: { namespace: 'lb-system', pod: 'op-0' } }] }],
  }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let out = '';
  const child: ChildProcess = spawn('prometheus', [
    `--config.file=${join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${join(work, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=1h', '--log.level=warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  child.once('error', (e) => (out += `spawn: ${e.message} (scripts/ensure-debs.sh prometheus:prometheus)`));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(work, { recursive: true, force: true });
  };
  const deadline = Date.now() + (o.readyTimeoutMs ?? 60_000);
  for (;;) {
    if ((await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`Prometheus not ready: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const query = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`);
    const body = (await res.json()) as PromResponse<T>;
    assert.equal(body.status, 'success', `${path}: ${body.error ?? res.status}`);
    return body.data;
  };
  const instant = async (expr: string): Promise<InstantSample[]> => (await query<{ result: InstantSample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`)).result;
  // Ready is not scraping: Prometheus hands targets to the scrape manager at most every 5 s, so the
  // first scrape comes about 5 s after /-/ready. A test that starts the operator's work at once
  // would have its first observations (an SE boot) land before any sample, and a rate() over them
  // be empty (CI, 2026-12-07). Return only once the target has been scraped and is up.
  for (;;) {
    if ((await instant(`up{job="${OPERATOR_JOB}"}`)).some((x) => x.value[1] === '1')) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      const targets = await query<unknown>('/api/v1/targets').catch((e: unknown) => String(e));
      await stop();
      throw new Error(`Prometheus never scraped ${o.target} up: ${JSON.stringify(targets)}\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, log: () => out, query, stop, instant };
}

export interface DashboardQuery {
  panel: string;
  /** `Panel title [target index]` */
  where: string;
  expr: string;
}

/** Every panel target of the pack's Grafana dashboard (rows have none). */
export async function dashboardQueries(): Promise<DashboardQuery[]> {
  const d = JSON.parse(await readFile(join(MONITORING_COMPONENT, 'dashboards', 'contrail-lb-operator.json'), 'utf8')) as
    { panels: { title: string; targets?: { expr: string }[] }[] };
  return d.panels.flatMap((p) => (p.targets ?? []).map((t, i) => ({ panel: p.title, where: `${p.title} [${i}]`, expr: t.expr })));
}

/** A dashboard expression as Grafana would send it with every variable on All. */
export function expandDashboardExpr(expr: string, rateInterval = '1m'): string {
  return expr.replaceAll('$__rate_interval', rateInterval).replaceAll('$namespace', '.*').replaceAll('$virtualservice', '.*');
}

/** The series names an expression reads. */
export const seriesNames = (expr: string): string[] =>
  (expr.match(/\b(lbop_[a-z0-9_]+|controller_runtime_[a-z0-9_]+|workqueue_[a-z0-9_]+|leader_election_[a-z0-9_]+)\b/g) ?? []);
