// Detection times of the two detectors, on the ground of ground.ts (the operator's default flags):
//   - the heartbeat detector: one SE's agent stopped (SIGSTOP; HAProxy keeps serving) → the
//     operator sets AgentConnected=False (default heartbeat timeout 10 s, counted from the last
//     heartbeat, which came up to one interval — 2 s ± 10 % — before the stop);
//   - the data-path detector: another SE hung whole (agent and HAProxy) → the Contrail
//     service-health-check the operator attached to its vNICs fails in the fabric's prober and
//     the fabric withdraws its next hop from the VIP's ECMP group (goal ≤ 3 s).
// Both SEs are thawed right after (well inside the 60 s failure timeout, so nothing is replaced)
// and the ground is back to every SE serving before this returns. The fault seam is the one
// test/e2e-dataplane/repair.test.ts uses (NetnsDataplane.freezeSE).
import { conditionsOf } from '../../e2e/harness.js';
import type { Ground, SEObject, Serving } from './ground.js';

export interface Detection {
  /** agent stopped → AgentConnected=False seen on the SE */
  heartbeatMs: number;
  /** SE hung → its health check's first failure in the fabric's prober */
  probeDownMs: number;
  /** SE hung → none of its vNICs in the VIP's route any more */
  outOfRouteMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function detection(g: Ground, ses: readonly Serving[], boundMs = 60_000): Promise<Detection> {
  const [quiet, hung] = ses;
  if (quiet === undefined || hung === undefined) throw new Error('detection needs two serving SEs');
  const agentConnected = async (name: string): Promise<string | undefined> => {
    const se = (await g.h.list<SEObject>('ServiceEngine')).find((x) => x.metadata.name === name);
    return conditionsOf(se as never)['AgentConnected']?.status;
  };

  // The heartbeat detector.
  let t0 = Date.now();
  if (!g.dp.freezeSE(quiet.server, 'agent')) throw new Error(`no processes for ${quiet.name}`);
  let heartbeatMs: number;
  try {
    heartbeatMs = await g.h.waitFor(async () => ((await agentConnected(quiet.name)) === 'False' ? Date.now() - t0 : undefined), { timeoutMs: boundMs, intervalMs: 100, what: `${quiet.name} AgentConnected=False` });
  } finally {
    g.dp.thawSE(quiet.server);
  }
  await g.h.waitFor(async () => ((await agentConnected(quiet.name)) === 'True' ? true : undefined), { timeoutMs: boundMs, intervalMs: 250, what: `${quiet.name} connected again` });

  // The data-path detector.
  const vnics = new Set(hung.vmis);
  t0 = Date.now();
  if (!g.dp.freezeSE(hung.server, 'all')) throw new Error(`no processes for ${hung.name}`);
  let probeDownMs = NaN;
  let outOfRouteMs = NaN;
  try {
    while (Number.isNaN(probeDownMs) || Number.isNaN(outOfRouteMs)) {
      const at = Date.now() - t0;
      if (at > boundMs) throw new Error(`${hung.name} hung: not withdrawn within ${boundMs} ms (probe down ${probeDownMs} ms)`);
      const down = g.dp.probeEvents.find((e) => e.at >= t0 && !e.up && vnics.has(e.vmi));
      if (down !== undefined && Number.isNaN(probeDownMs)) probeDownMs = down.at - t0;
      if (Number.isNaN(outOfRouteMs) && !g.routeMembers().some((m) => vnics.has(m))) outOfRouteMs = at;
      await sleep(20);
    }
  } finally {
    g.dp.thawSE(hung.server);
  }
  await g.serving(ses.length, 'every SE serving again after the detection faults', [], boundMs);
  return { heartbeatMs, probeDownMs, outOfRouteMs };
}
