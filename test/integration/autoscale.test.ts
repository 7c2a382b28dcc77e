// The autoscale controller on a real kube-apiserver (docs/autoscale.md): the operator runs in this
// process with only that controller (--controllers autoscale) and the SE API's agent registry;
// the test plays the agents (heartbeats straight into the registry, as the SE API would accept
// them) and the VirtualService controller (it writes status.serviceEngines). Load above target
// → status.autoscale.desiredSEs up at once with an AutoscaledUp event carrying metric and target;
// load gone → held for the scale-down window, then AutoscaledDown to minSEs; agents silent →
// MetricStale, the count held, one AutoscaleMetricMissing warning; autoscale removed → status
// cleared. And the rest of status, written by someone else, is left alone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useCluster } from '../support/cluster.js';
import { KubeClient } from '../../src/runtime/kube.js';
import { createNamespace, until } from './fixtures/runtime-support.js';
import { group, version } from '../../src/api/kinds.js';
import { parseRunConfig } from '../../src/controllers/config.js';
import { buildOperator, type Operator } from '../../src/controllers/operator.js';
import { caFromPEM, createCA, defaultSEApiConfig, type Heartbeat } from '../../src/seapi/index.js';
import type { VirtualService } from '../../src/api/index.js';

const WINDOW_S = 6;
let client: KubeClient;
let ns: string;
let op: Operator;
const stop = new AbortController();
let running: Promise<unknown>;
let beating: NodeJS.Timeout | undefined;

const path = (plural: string, name = ''): string => `/apis/${group}/${version}/namespaces/${ns}/${plural}${name !== '' ? `/${name}` : ''}`;
const getVS = (): Promise<VirtualService> => client.get<VirtualService>(path('virtualservices', 'vs2'));
const events = async (reason: string): Promise<string[]> =>
  (await client.get<{ items: { reason: string; note: string; regarding: { name: string } }[] }>(`/apis/events.k8s.io/v1/namespaces/${ns}/events`)).items
    .filter((e) => e.reason === reason && e.regarding.name === 'vs2').map((e) => e.note);

/** What the VS controller would write: the SEs vs2 is up on. */
async function placedOn(names: string[]): Promise<void> {
  await client.patch(path('virtualservices', 'vs2') + '/status', {
    status: { operStatus: { state: 'OPER_UP', reason: [] }, serviceEngines: names.map((name, i) => ({ name, primary: i === 0, standby: false, connected: true, cloudProgrammingDone: true })) },
  });
}

/** Every SE's agent heartbeats each 500 ms with `connections` open on vs2's VIP (until stopped). */
function heartbeat(ses: string[], connections: number): void {
  if (beating !== undefined) clearInterval(beating);
  let sequence = Date.now();
  const beat = (): void => {
    sequence++;
    for (const se of ses) {
      const hb: Heartbeat = {
        bootID: `boot-${se}`, sequence, sentAt: new Date().toISOString(), agentVersion: 'test', applied: { version: 1, hash: 'h' },
        vips: [{ id: `${ns}/vs2/0`, listeners: [{ port: 80, up: true }], members: [], currentConnections: connections, totalConnections: 0, bytesIn: 0, bytesOut: 0, requests: 0, errors: { http4xx: 0, http5xx: 0, connection: 0 }, responseTimeMs: 0 }],
        se: { cpuPercent: 10, memoryBytes: 1 },
      };
      op.context.seChannel?.agents.accept(`${ns}/${se}`, `server-${se}`, hb);
    }
  };
  beat();
  beating = setInterval(beat, 500);
}

describe('the autoscale controller', { timeout: 120_000 }, () => {
  before(async () => {
    const cluster = await useCluster();
    client = await KubeClient.create(cluster.kubeconfig);
    ns = await createNamespace(client, 'it-autoscale');
    const pem = await createCA('it-autoscale');
    const config = parseRunConfig(['--namespace', ns, '--cluster-id', 'it-autoscale', '--metrics-addr', '0', '--health-addr', '0', '--controllers', 'autoscale'], {});
    op = buildOperator(config, {
      client, clusterID: 'it-autoscale',
      seapi: { config: defaultSEApiConfig(ns, { addr: { host: '127.0.0.1', port: 0 } }), ca: await caFromPEM(pem.certPem, pem.keyPem) },
    });
    running = op.run(stop.signal);
    await client.create(path('serviceenginegroups'), {
      apiVersion: `${group}/${version}`, kind: 'ServiceEngineGroup', metadata: { name: 'default' },
      spec: { cloudRef: 'c1', minScaleoutPerVS: 1, maxScaleoutPerVS: 4, maxSEs: 10 },
    });
    await client.create(path('virtualservices'), {
      apiVersion: `${group}/${version}`, kind: 'VirtualService', metadata: { name: 'vs2' },
      spec: {
        cloudRef: 'c1', poolRef: 'vs2-pool', vip: [{ vipID: '0', autoAllocateIP: true, networkRef: 'vip-net' }], services: [{ port: 80 }],
        scaleout: { ecmp: true, minSEs: 1, maxSEs: 3, autoscale: { metric: 'ConnectionsPerSE', target: 100, scaleDownStabilizationSeconds: WINDOW_S } },
      },
    });
  });

  after(async () => {
    if (beating !== undefined) clearInterval(beating);
    stop.abort();
    await running?.catch(() => undefined);
  });

  test('load above target: up at once (clamped to maxSEs), an event with metric and target; the rest of status untouched', async () => {
    await placedOn(['se-1']);
    heartbeat(['se-1'], 350);
    await until('desiredSEs 3', async () => (await getVS()).status?.autoscale?.desiredSEs === 3, 20_000);
    const s = (await getVS()).status;
    assert.equal(s?.autoscale?.reason, 'ScaledUp');
    assert.equal(s?.autoscale?.currentMetric, 350);
    assert.ok(s?.autoscale?.lastScaleTime !== undefined);
    assert.equal(s?.operStatus?.state, 'OPER_UP', 'the VS controller\'s part of status is left alone');
    await until('AutoscaledUp event', async () => (await events('AutoscaledUp')).length > 0, 10_000);
    assert.match((await events('AutoscaledUp'))[0] ?? '', /^1 → 3 SEs: ConnectionsPerSE 350 connections per SE on 1 SE\(s\), target 100: scaling up from 1 to 3 SEs$/);
  });

  test('load gone: held for the scale-down window, then down to minSEs', async () => {
    await placedOn(['se-1', 'se-2', 'se-3']);
    heartbeat(['se-1', 'se-2', 'se-3'], 10);
    const quietAt = Date.now();
    await until('ScaleDownStabilized', async () => (await getVS()).status?.autoscale?.reason === 'ScaleDownStabilized', 15_000);
    assert.equal((await getVS()).status?.autoscale?.desiredSEs, 3, 'held within the window');
    await until('desiredSEs 1', async () => (await getVS()).status?.autoscale?.desiredSEs === 1, 30_000);
    const heldMs = Date.now() - quietAt;
    assert.ok(heldMs >= (WINDOW_S - 1) * 1000, `held ${heldMs} ms, window ${WINDOW_S} s`);
    assert.equal((await getVS()).status?.autoscale?.reason, 'ScaledDown');
    await until('AutoscaledDown event', async () => (await events('AutoscaledDown')).length > 0, 10_000);
    assert.match((await events('AutoscaledDown'))[0] ?? '', /^3 → 1 SEs: ConnectionsPerSE 10 connections per SE on 3 SE\(s\), target 100/);
  });

  test('agents silent: MetricStale, the count held, one warning', async () => {
    await placedOn(['se-1']);
    heartbeat(['se-1'], 500);
    await until('desiredSEs 3 again', async () => (await getVS()).status?.autoscale?.desiredSEs === 3, 20_000);
    await placedOn(['se-1', 'se-2', 'se-3']);
    if (beating !== undefined) clearInterval(beating);
    beating = undefined;
    // A sample is stale after 3 heartbeat periods (6 s); the count holds however long it lasts.
    await until('MetricStale', async () => (await getVS()).status?.autoscale?.reason === 'MetricStale', 20_000);
    assert.equal((await getVS()).status?.autoscale?.desiredSEs, 3);
    await until('AutoscaleMetricMissing event', async () => (await events('AutoscaleMetricMissing')).length > 0, 10_000);
    await new Promise((r) => setTimeout(r, 6_000));
    const s = (await getVS()).status?.autoscale;
    assert.equal(s?.desiredSEs, 3, JSON.stringify(s));
    assert.equal((await events('AutoscaleMetricMissing')).length, 1, 'warned once, not every period');
  });

  test('autoscale removed from the spec: status.autoscale goes', async () => {
    await client.patch(path('virtualservices', 'vs2'), { spec: { scaleout: { autoscale: null } } });
    await until('status.autoscale cleared', async () => (await getVS()).status?.autoscale === undefined, 15_000);
    assert.equal((await getVS()).status?.operStatus?.state, 'OPER_UP');
  });
});
