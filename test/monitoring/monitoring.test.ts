// The monitoring pack (deploy/components/monitoring) held to what it promises: it renders with
// kustomize and selects the operator's metrics Service; Prometheus's own tools accept its rules
// and pass a unit test per alert (alerts.test.yaml); the alerts, the dashboard and
// docs/metrics-analytics.md name the same series; and every dashboard query returns data from
// the documented series (series.yaml) when run by Prometheus's engine (promtool test rules).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';

type Obj = Record<string, unknown>;

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const here = join(repo, 'test', 'monitoring');
const component = join(repo, 'deploy', 'components', 'monitoring');
const dashboardPath = join(component, 'dashboards', 'contrail-lb-operator.json');
const docsPath = join(repo, 'docs', 'metrics-analytics.md');

interface Run { code: number; stdout: string; stderr: string }

function run(cmd: string, args: string[], cwd = repo): Promise<Run> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd, maxBuffer: 16 << 20, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      done({ code, stdout, stderr: stderr || (err?.message ?? '') });
    });
  });
}

/** The pinned kubectl (`make envtest`), else one on PATH, else none: the render checks are skipped. */
async function findKubectl(): Promise<string | undefined> {
  const pinned = join(repo, '.local', 'bin', 'kubectl');
  if (existsSync(pinned)) return pinned;
  const r = await run('kubectl', ['version', '--client']);
  return r.code === 0 ? 'kubectl' : undefined;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const at = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((c, k) => (isObj(c) ? c[k] : undefined), o);

interface Rule { alert?: string; record?: string; expr: string }
interface RuleGroup { name: string; rules: Rule[] }
interface Target { expr: string }
interface Panel { id: number; type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; datasource?: Obj; targets?: Target[] }
interface Dashboard { uid: string; panels: Panel[]; templating: { list: { name: string; type: string; query?: unknown }[] } }
interface AlertTest { alertname: string; exp_alerts: unknown[] }
interface UnitTests { tests: { alert_rule_test?: AlertTest[] }[] }

/** Every metric name a PromQL expression reads; a histogram's _bucket/_count/_sum as the histogram. */
function seriesNames(expr: string): Set<string> {
  const names = expr.match(/\b(lbop_[a-z0-9_]+|controller_runtime_[a-z0-9_]+|workqueue_[a-z0-9_]+|leader_election_[a-z0-9_]+)\b/g) ?? [];
  return new Set(names.map((n) => n.replace(/_(bucket|count|sum)$/, '')));
}

/** The series names in docs/metrics-analytics.md's tables (rows that start with a `name`). */
function documentedSeries(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/^\| `([a-z_][a-z0-9_]*)` \|/gm)].map((m) => m[1]!).filter((n) => seriesNames(n).size > 0));
}

/** A dashboard query as Prometheus would get it from Grafana with every variable at "All". */
function concrete(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$namespace', '.*').replaceAll('$virtualservice', '.*');
}

function panelQueries(d: Dashboard): { where: string; expr: string }[] {
  const out = d.panels.flatMap((p) => (p.targets ?? []).map((t, i) => ({ where: `panel "${p.title}" target ${i}`, expr: t.expr })));
  for (const v of d.templating.list) {
    const q = at(v, 'query', 'query');
    const m = typeof q === 'string' ? /^label_values\((.+), *[a-z_]+\)$/.exec(q) : null;
    if (m !== null) out.push({ where: `variable ${v.name}`, expr: m[1]! });
  }
  return out;
}

describe('monitoring pack', () => {
  let work: string;
  let kubectl: string | undefined;
  let ruleFile: Obj; // the PrometheusRule's spec: a plain Prometheus rule file
  let rules: Rule[];
  let dashboard: Dashboard;

  before(async () => {
    const promtool = await run('promtool', ['--version']);
    assert.equal(promtool.code, 0, 'promtool is missing: scripts/ensure-debs.sh prometheus:promtool (make test-monitoring does)');
    work = await mkdtemp(join(tmpdir(), 'lbop-monitoring-'));
    kubectl = await findKubectl();
    // What gets deployed is what is tested: the rendered PrometheusRule when kustomize is at hand.
    const source = kubectl === undefined
      ? await readFile(join(component, 'prometheusrule.yaml'), 'utf8')
      : (await renderOK(component)).find((o) => o['kind'] === 'PrometheusRule');
    const rule = typeof source === 'string' ? (parse(source) as Obj) : source;
    ruleFile = at(rule, 'spec') as Obj;
    rules = (ruleFile['groups'] as RuleGroup[]).flatMap((g) => g.rules);
    await writeFile(join(work, 'rules.yaml'), stringify(ruleFile));
    dashboard = JSON.parse(await readFile(dashboardPath, 'utf8')) as Dashboard;
  });

  after(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  async function renderOK(dir: string): Promise<Obj[]> {
    assert.ok(kubectl !== undefined);
    const r = await run(kubectl, ['kustomize', dir]);
    assert.equal(r.code, 0, `kubectl kustomize ${dir}: ${r.stderr}`);
    return parseAllDocuments(r.stdout).map((d) => d.toJSON() as unknown).filter(isObj);
  }

  test('the component renders: a ServiceMonitor, a PrometheusRule and the dashboard ConfigMap', async (t) => {
    if (kubectl === undefined) return t.skip('no kubectl (make envtest links one into .local/bin)');
    const objects = await renderOK(component);
    assert.deepEqual(objects.map((o) => `${String(o['kind'])}/${String(at(o, 'metadata', 'name'))}`).sort(), [
      'ConfigMap/contrail-lb-operator-dashboard', 'PrometheusRule/contrail-lb-operator', 'ServiceMonitor/contrail-lb-operator',
    ]);
    const cm = objects.find((o) => o['kind'] === 'ConfigMap');
    assert.equal(at(cm, 'metadata', 'labels', 'grafana_dashboard'), '1');
    assert.equal(at(cm, 'data', 'contrail-lb-operator.json'), await readFile(dashboardPath, 'utf8'));
  });

  test('with the base, the ServiceMonitor selects the metrics Service, its port, and job="contrail-lb-operator", scraping HTTPS with a token as the base serves', async (t) => {
    if (kubectl === undefined) return t.skip('no kubectl (make envtest links one into .local/bin)');
    const objects = await renderOK(join(here, 'overlay'));
    const monitor = objects.find((o) => o['kind'] === 'ServiceMonitor');
    const selector = at(monitor, 'spec', 'selector', 'matchLabels') as Record<string, string>;
    const services = objects.filter((o) => o['kind'] === 'Service' && at(o, 'metadata', 'namespace') === at(monitor, 'metadata', 'namespace'))
      .filter((s) => Object.entries(selector).every(([k, v]) => at(s, 'metadata', 'labels', k) === v));
    assert.equal(services.length, 1, 'exactly one Service selected');
    const ports = (at(services[0], 'spec', 'ports') as { name: string }[]).map((p) => p.name);
    for (const e of at(monitor, 'spec', 'endpoints') as { port: string }[]) assert.ok(ports.includes(e.port), `port ${e.port} on the Service`);
    const jobLabel = at(monitor, 'spec', 'jobLabel') as string;
    assert.equal(at(services[0], 'metadata', 'labels', jobLabel), 'contrail-lb-operator', 'the job the rules select');
    // The base serves HTTPS and authorises every scrape unless --metrics-insecure (docs/metrics.md).
    const deployment = objects.find((o) => o['kind'] === 'Deployment');
    const args = (at(deployment, 'spec', 'template', 'spec', 'containers') as { args: string[] }[])[0]?.args ?? [];
    assert.equal(args.includes('--metrics-insecure'), false);
    for (const e of at(monitor, 'spec', 'endpoints') as { scheme: string; bearerTokenFile?: string }[]) {
      assert.equal(e.scheme, 'https', 'the scheme the base serves');
      assert.ok(e.bearerTokenFile !== undefined, 'a token for the TokenReview');
    }
  });

  test('promtool check rules accepts the PrometheusRule', async () => {
    const r = await run('promtool', ['check', 'rules', 'rules.yaml'], work);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  test('promtool test rules: every alert fires in a case of alerts.test.yaml and stays silent in another', async () => {
    const tests = await readFile(join(here, 'alerts.test.yaml'), 'utf8');
    await writeFile(join(work, 'alerts.test.yaml'), tests);
    const r = await run('promtool', ['test', 'rules', 'alerts.test.yaml'], work);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const cases = (parse(tests) as UnitTests).tests.flatMap((g) => g.alert_rule_test ?? []);
    for (const rule of rules.filter((x) => x.alert !== undefined)) {
      const mine = cases.filter((c) => c.alertname === rule.alert);
      assert.ok(mine.some((c) => c.exp_alerts.length > 0), `${rule.alert}: a case where it fires`);
      assert.ok(mine.some((c) => c.exp_alerts.length === 0), `${rule.alert}: a case where it does not`);
    }
  });

  test('the alerts are the ones docs/metrics-analytics.md lists', async () => {
    const docs = await readFile(docsPath, 'utf8');
    const documented = [...docs.matchAll(/^\| `(Lbop[A-Za-z]+)` \|/gm)].map((m) => m[1]!).sort();
    assert.deepEqual(rules.map((x) => x.alert).filter((a) => a !== undefined).sort(), documented);
  });

  test('every series a rule or a panel reads is documented, and series.yaml feeds every documented one', async () => {
    const documented = documentedSeries(await readFile(docsPath, 'utf8'));
    assert.ok(documented.size > 30, `docs list ${documented.size} series`);
    const used = new Map<string, string>();
    for (const r of rules) for (const n of seriesNames(r.expr)) used.set(n, `rule ${r.alert ?? r.record ?? ''}`);
    for (const q of panelQueries(dashboard)) for (const n of seriesNames(q.expr)) used.set(n, q.where);
    for (const [name, where] of used) assert.ok(documented.has(name), `${where} reads ${name}, which docs/metrics-analytics.md does not list`);
    const fed = new Set((parse(await readFile(join(here, 'series.yaml'), 'utf8')) as { series: string }[]).flatMap((s) => [...seriesNames(s.series)]));
    assert.deepEqual([...documented].filter((n) => !fed.has(n)), [], 'documented but not in series.yaml');
    assert.deepEqual([...fed].filter((n) => !documented.has(n)), [], 'in series.yaml but not documented');
  });

  test('the dashboard is well formed: unique ids, on the 24-column grid, every query on the datasource variable', () => {
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'unique panel ids');
    assert.equal(dashboard.uid, 'contrail-lb-operator');
    for (const p of dashboard.panels) {
      assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title} within the grid`);
      if (p.type === 'row') continue;
      assert.ok((p.targets ?? []).length > 0, `${p.title} has a query`);
      assert.equal(at(p, 'datasource', 'uid'), '${datasource}', `${p.title} uses the datasource variable`);
    }
    const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
    assert.deepEqual(rows, ['Virtual services', 'Service Engines', 'Operator']);
  });

  test('every dashboard query returns data from the documented series (Prometheus engine, via promtool)', async () => {
    const input = parse(await readFile(join(here, 'series.yaml'), 'utf8')) as unknown[];
    const queries = panelQueries(dashboard);
    // count(q) > bool 0 is 1 when q returns anything, and nothing (a failed case) when it does not.
    const suite = {
      rule_files: ['rules.yaml'],
      evaluation_interval: '15s',
      tests: [{
        interval: '15s',
        input_series: input,
        promql_expr_test: queries.map((q) => ({ expr: `count(${concrete(q.expr)}) > bool 0`, eval_time: '10m', exp_samples: [{ labels: '{}', value: 1 }] })),
      }],
    };
    await writeFile(join(work, 'dashboard.test.yaml'), stringify(suite));
    const r = await run('promtool', ['test', 'rules', 'dashboard.test.yaml'], work);
    // promtool names the failing expression (Go-quoted); map it back to the panel.
    const failing = queries.filter((q) => (r.stdout + r.stderr).includes(JSON.stringify(`count(${concrete(q.expr)}) > bool 0`))).map((q) => q.where);
    assert.equal(r.code, 0, `queries without data: ${failing.join('; ')}\n${r.stdout}${r.stderr}`);
    assert.ok(queries.length >= 30, `${queries.length} queries checked`);
  });
});
