// Scale-in with a drain under load (issue 13 item 4, issue 14's scale-in bullet), on the real
// ground of bench:dataplane (test/bench/dataplane/ground.ts): vs2 on 3 SEs with real agents,
// serving 80 (plain: a TCP-mode listener) and 443 (enableSSL: an HTTP-mode listener, where the
// drain switch makes every response say Connection: close), the group's drainTimeoutSeconds 10,
// then minSEs/maxSEs 3 → 2, under five logged clients (procs/reqlog.ts, a fifth of RATE each):
// on 80 a new connection per request, eager keep-alive (wrk's way: reconnect at once) and lazy
// keep-alive (connect only with a request to send); on 443 eager and lazy keep-alive. Each failed
// request is placed against the withdrawal instant W and on its connection's SE (the fabric's flow
// table by local port; attribution.ts). The fabric's beforeWithdraw hook reads, at W, the flows
// it had pinned to the leaving SE's next hop.
// Asserted: the leaving SE carried client connections before the scale-in, its drain switch was on
// at W, no reload happened on it while it was in the set, it was withdrawn only after a drain
// (SEDraining, SEWithdrawn); the requests failed at or after W ≤ the open flows pinned there at W;
// the bound over the whole scale-in (every client: failed ≤ in flight at W); 0 failed
// for the lazy client on the HTTP-mode listener. Todo with figures: the lazy client on the TCP
// listener (nothing at L4 tells it to leave: its connection on the leaving SE is reset after W).
// Root only. About 40 s.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLogged } from '../../src/sim/dataplane/loadgen.js';
import { registerSecret } from '../support/secrets.js';
import { applyVS } from '../e2e/vs-support.js';
import { skipReason } from '../dataplane/support.js';
import { openOf, startGround, type Ground } from '../bench/dataplane/ground.js';
import { scaleIn, workerPid, type ScaleInClient } from '../bench/dataplane/underload.js';
import { startMixed, stopMixed } from '../bench/dataplane/paced.js';
import { describeAttribution, describeLogged, describeTimeline } from '../bench/dataplane/attribution.js';

const skip = skipReason();
if (skip !== undefined) process.stdout.write(`e2e-dataplane: ${skip}\n`);

const RATE = 500;
/** SCALE_IN_DRAIN_SECONDS=0 measures the same scale-in withdrawn first (the drain-only checks then skipped). */
const DRAIN_SECONDS = Number(process.env['SCALE_IN_DRAIN_SECONDS'] ?? '10');
const HOST = 'vs2.lbop.test';
const VS_SPEC = { services: [{ port: 80 }, { port: 443, enableSSL: true }], tls: { secretRef: { name: 'vs2-tls' } } };
const CLIENTS: ScaleInClient[] = [
  { label: 'close', mode: 'close' }, { label: 'eager', mode: 'eager' }, { label: 'lazy', mode: 'lazy' },
  { label: 'eager-tls', mode: 'eager', port: 443, tls: HOST }, { label: 'lazy-tls', mode: 'lazy', port: 443, tls: HOST },
];

/** A self-signed certificate for HOST (the clients do not verify it: tls.test.ts does). */
function certificate(dir: string): { crt: string; key: string } {
  const crt = join(dir, 'tls.crt');
  const key = join(dir, 'tls.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', `/CN=${HOST}`, '-addext', `subjectAltName=DNS:${HOST}`, '-keyout', key, '-out', crt], { stdio: 'ignore' });
  return { crt: readFileSync(crt, 'utf8'), key: readFileSync(key, 'utf8') };
}

describe('scale-in drains the leaving SE while it is still in the ECMP set', { skip, timeout: 600_000 }, () => {
  let g: Ground;
  let bound: { failed: number; total: number; inFlight: number; lazy: number; lazyTls: number; lazyTlsAtW: number; atW: number } | undefined;
  before(async () => {
    g = await startGround(3);
    const dir = mkdtempSync(join(tmpdir(), 'lbop-scale-in-'));
    try {
      const { crt, key } = certificate(dir);
      registerSecret('e2e-scale-in:tls.key', key.trim()); // the final scan: never in a log
      await g.h.client.create(`/api/v1/namespaces/${g.h.namespace}/secrets`, {
        metadata: { name: 'vs2-tls' }, type: 'kubernetes.io/tls', data: { 'tls.crt': Buffer.from(crt).toString('base64'), 'tls.key': Buffer.from(key).toString('base64') },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await applyVS(g.h, { minSEs: 3, maxSEs: 3, vsSpec: VS_SPEC });
    // 443 served through every SE: a short lazy TLS run with no failure and answers.
    await g.h.waitFor(async () => {
      const l = await startLogged(g.dp.client, { address: g.vip, port: 443, tls: HOST, rate: 50, connections: 10, mode: 'close', maxSeconds: 3, maxRequests: 60 });
      await new Promise((r) => setTimeout(r, 1_500));
      const r = await l.stop();
      return r.failed.length === 0 && r.ok >= 40 ? true : undefined;
    }, { timeoutMs: 120_000, intervalMs: 500, what: '443 (TLS, HTTP mode) served through the VIP' });
  });
  after(async () => { await g?.close(); });

  it(`3 → 2 at ${RATE} requests/s with drainTimeoutSeconds ${DRAIN_SECONDS}: drained in the set with no reload, then withdrawn`, async () => {
    const ses = await g.serving(3, 'vs2 served by 3 SEs');
    // The SE the scale-in drops is the youngest (placement.ts); it must hold keep-alive
    // connections before the drain, or the keep-alive case is not exercised.
    const created = new Map((await g.h.list<{ metadata: { name: string; creationTimestamp?: string } }>('ServiceEngine')).map((x) => [x.metadata.name, x.metadata.creationTimestamp ?? '']));
    const youngest = [...ses].sort((a, b) => (created.get(a.name) ?? '').localeCompare(created.get(b.name) ?? '') || a.name.localeCompare(b.name)).at(-1);
    assert.ok(youngest !== undefined);
    const warm = startMixed(g.dp.client, g.url, RATE, 30);
    let keptBefore = 0;
    try {
      await new Promise((r) => setTimeout(r, 2_000));
      keptBefore = openOf(await g.stats(youngest.server));
    } finally {
      await stopMixed(warm);
    }
    assert.ok(keptBefore >= 5, `the leaving SE held ${keptBefore} client connections under the load`);

    const pidBefore = await workerPid(g, youngest.server);
    const si = await scaleIn(g, ses, 2, RATE, DRAIN_SECONDS, 90_000, CLIENTS, VS_SPEC);
    const failedOf = (label: string): number => si.load[label]?.failed.length ?? NaN;
    // wrk's two kinds on the TCP listener against the bound; the others apart.
    const failed = failedOf('close') + failedOf('eager');
    process.stdout.write(`scale-in: ${failed} failed on 80 (eager keep-alive ${failedOf('eager')}, new-connection ${failedOf('close')}), lazy ${failedOf('lazy')}; on 443 eager ${failedOf('eager-tls')}, lazy ${failedOf('lazy-tls')}; vs ${si.inFlight} in flight at the withdrawal (pinned ${JSON.stringify(si.pinned)}; read in ${si.hookMs.toFixed(0)} ms, scur ${si.scurAtWithdrawal}) on ${si.leaving}, withdrawn ${(si.withdrawnMs / 1000).toFixed(1)} s after the apply — ${describeLogged(si.load)}\n`);
    for (const l of describeAttribution(si.attribution)) process.stdout.write(`scale-in:   ${l}\n`);
    for (const l of describeTimeline(si.timeline, si.appliedAt, si.withdrawalAt)) process.stdout.write(`scale-in:   flows ${l}\n`);
    for (const c of si.routeChanges) process.stdout.write(`scale-in:   route t+${c.at - si.appliedAt} ms: ${c.members.join(', ')}\n`);
    for (const a of si.actions) process.stdout.write(`scale-in:   fabric t+${a.at - si.appliedAt} ms: ${a.what}\n`);
    for (const e of si.probeEvents) process.stdout.write(`scale-in:   health check t+${e.at - si.appliedAt} ms: ${e.se} ${e.up ? 'up' : 'down'} (${e.reason})\n`);
    // Every failure, one by one, where SCALE_IN_LOG names a file (for the figures in docs/autoscale.md).
    const logTo = process.env['SCALE_IN_LOG'];
    if (logTo !== undefined && logTo !== '') writeFileSync(logTo, JSON.stringify({ withdrawal: si.inFlight, pinned: si.pinned, failures: si.attribution.placed }, null, 1));
    assert.ok(Object.values(si.load).reduce((n, r) => n + r.ok, 0) > 1_000, 'the load ran');
    assert.ok(Number.isFinite(si.inFlight), 'the in-flight flows were read at the withdrawal instant');
    if (DRAIN_SECONDS > 0) assert.ok(si.withdrawnMs >= DRAIN_SECONDS * 1000 * 0.5, `withdrawn after a drain (${si.withdrawnMs.toFixed(0)} ms), not at once`);
    assert.equal(si.leaving, youngest.name, 'the youngest SE left');
    if (DRAIN_SECONDS > 0) assert.equal(si.drainingAtWithdrawal, true, 'its drain switch was on while it was still in the set');
    if (DRAIN_SECONDS > 0) assert.ok(Number.isFinite(pidBefore) && si.workerPid === pidBefore, `no reload on the leaving SE while it drained in the set (worker ${pidBefore} → ${si.workerPid})`);
    // The withdrawal's own share: requests failed at or after W (in flight then, or written after it), every client.
    const atW = si.attribution.placed.filter((p) => p.when !== 'before').length;
    const lazyTlsAtW = si.attribution.placed.filter((p) => p.mode === 'lazy-tls' && p.when !== 'before').length;
    const total = Object.values(si.load).reduce((n, r) => n + r.failed.length, 0);
    bound = { failed, total, inFlight: si.inFlight, lazy: failedOf('lazy'), lazyTls: failedOf('lazy-tls'), lazyTlsAtW, atW };

    const reasons = (await g.h.events()).filter((e) => e.regarding.name === 'vs2').map((e) => e.reason);
    if (DRAIN_SECONDS > 0) assert.ok(reasons.includes('SEDraining') && reasons.includes('SEWithdrawn'), `events: ${reasons.join(', ')}`);
  });

  // Measured (docs/autoscale.md#scale-in): the requests that fail AT the withdrawal are the open
  // flows pinned to the leaving SE then — its idle keep-alive connections, reset on their next
  // request once the fabric moves them — and they stay within the count read in the hook.
  it('the withdrawal fails no more requests than the flows open on the leaving SE at that instant', () => {
    assert.ok(bound !== undefined, 'the scale-in ran');
    assert.ok(bound.atW <= bound.inFlight, `${bound.atW} failed at or after the withdrawal ≤ ${bound.inFlight} open flows pinned to the leaving SE then`);
  });

  // The bound over the whole scale-in, every client on both listeners: with the leaving
  // SE's networks kept while it drains (demandOf), nothing fails before W, and at W only the flows
  // pinned to it (measured 31 ≤ 31, 35 ≤ 35, 34 ≤ 34, 34 ≤ 35, 33 ≤ 33; docs/autoscale.md#scale-in).
  it('failed ≤ in flight at the withdrawal (the issue\'s bound, over the whole scale-in, every client)', () => {
    assert.ok(bound !== undefined, 'the scale-in ran');
    assert.ok(bound.total <= bound.inFlight, `${bound.total} failed (${bound.failed} of them wrk's kinds on 80) ≤ ${bound.inFlight} in flight at the withdrawal`);
  });

  // The "0 for clients that honour Connection: close": a lazy client on the HTTP-mode
  // listener loses nothing — the drain closed its connections on the leaving SE before W.
  it('0 failed for a lazy client on the HTTP-mode listener, at the withdrawal and over the whole scale-in', { skip: DRAIN_SECONDS === 0 ? 'no drain phase (SCALE_IN_DRAIN_SECONDS=0)' : false }, () => {
    assert.ok(bound !== undefined, 'the scale-in ran');
    assert.equal(bound.lazyTlsAtW, 0, `${bound.lazyTlsAtW} failed at or after W for the lazy client on 443`);
    assert.equal(bound.lazyTls, 0, `${bound.lazyTls} failed for the lazy client on 443`);
  });

  // Not met on a TCP-mode listener (80 without enableSSL): the drain switch is an HTTP rule, so
  // nothing there tells a client to leave, and a lazy client's idle connections are reset after W too.
  it('0 failed for a lazy client on the TCP-mode listener', { todo: 'measured 0, 1, 4: its idle connections on the leaving SE, reset after W (docs/autoscale.md#scale-in)' }, () => {
    assert.ok(bound !== undefined, 'the scale-in ran');
    assert.equal(bound.lazy, 0, `${bound.lazy} failed for the lazy client on 80`);
  });
});
