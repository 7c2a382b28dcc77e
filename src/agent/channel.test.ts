// The agent's channel against a real SE API server on 127.0.0.1 (real mTLS, a real CA): the config
// long-poll and the heartbeats stay on the same two keep-alive connections (no TLS handshake per
// heartbeat), and a config change reaches the agent through the held long-poll. ~2 s.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caFromPEM, createCA, createKeyAndCSR, defaultSEApiConfig, DesiredConfigs, issueClientCertificate, startSEApi, verifyCSR, type SEApi } from '../seapi/index.js';
import type { CertificateAuthority } from '../seapi/pki.js';
import { silentLogger } from '../runtime/log.js';
import { Channel } from './channel.js';

const NS = 'lbop-test';
const SE = { namespace: NS, name: 'se-1', uid: randomUUID() };

const until = async <T>(f: () => T | undefined, ms: number, what: string): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('agent channel over the SE API', () => {
  let api: SEApi;
  let ca: CertificateAuthority;
  let dir: string;
  const configs = new DesiredConfigs();
  const cred = { certPem: '', keyPem: '', serverID: randomUUID() };

  before(async () => {
    const caPem = await createCA('channel test CA');
    ca = await caFromPEM(caPem.certPem, caPem.keyPem);
    configs.put(SE, []);
    api = await startSEApi({ config: defaultSEApiConfig(NS, { addr: { host: '127.0.0.1', port: 0 }, heartbeatIntervalMs: 100 }), configs, ca });
    const { keyPem, csrPem } = await createKeyAndCSR();
    const issued = await issueClientCertificate(ca, await verifyCSR(csrPem), { namespace: NS, name: SE.name, serverID: cred.serverID }, 3600_000);
    cred.certPem = issued.certificatePem;
    cred.keyPem = keyPem;
    dir = mkdtempSync(join(tmpdir(), 'lbop-channel-test-'));
    writeFileSync(join(dir, 'client.key'), keyPem, { mode: 0o600 });
    writeFileSync(join(dir, 'client.json'), JSON.stringify({ certificate: cred.certPem, caBundle: ca.bundlePem }), { mode: 0o600 });
  });
  after(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('two kept connections carry the long-poll and every heartbeat; a config change arrives through the held poll', async () => {
    let applied = 0;
    let seq = 0;
    const seen: number[] = [];
    const channel = new Channel({
      identity: { serverID: cred.serverID, bootstrap: { kind: 'contrail-lb-operator/se-bootstrap', version: 1, serviceEngine: SE, controllerURLs: [api.url], caBundle: ca.bundlePem, bootstrapToken: 'unused-the-certificate-is-there', heartbeatIntervalMs: 100 } },
      stateDir: dir,
      log: silentLogger(),
      onConfig: async (c) => {
        applied = (c as { version: number }).version;
        seen.push(applied);
      },
      heartbeat: async () => ({ bootID: 'b', sequence: ++seq, sentAt: new Date().toISOString(), agentVersion: 'test', applied: { version: applied, hash: '' }, vips: [], se: { cpuPercent: 0, memoryBytes: 0 } }),
      appliedVersion: () => applied,
    });
    const run = channel.run();
    try {
      const key = `${NS}/${SE.name}`;
      // Every client port seen connected to the server while the agent polls and heartbeats: a
      // connection per heartbeat (what the agent did before) shows a new port for each.
      const port = new URL(api.url).port;
      const ports = new Set<string>();
      const sample = (): void => {
        const lines = execFileSync('ss', ['-Htn', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' }).split('\n').filter((l) => l.trim() !== '');
        for (const l of lines) ports.add(l.trim().split(/\s+/).at(-1) ?? '');
      };
      await until(() => {
        sample();
        return (api.agents.get(key)?.sequence ?? 0) >= 8 && applied > 0 ? true : undefined;
      }, 10_000, 'eight heartbeats and the first config');
      assert.ok(ports.size <= 2, `at most two TCP connections to the SE API for the poll and 8 heartbeats (client ends seen: ${[...ports].join(', ')})`);
      const before = applied;
      const t0 = Date.now();
      const next = configs.put(SE, [{
        id: `${NS}/vs/vip0`, virtualService: { namespace: NS, name: 'vs', uid: randomUUID() }, address: '198.18.0.10',
        listeners: [{ port: 80, protocol: 'TCP', http: false }], pool: { name: `${NS}/pool`, algorithm: 'roundrobin', members: [] }, draining: false, drainTimeoutSeconds: 30,
      }]).version;
      assert.ok(next > before);
      await until(() => (applied === next ? true : undefined), 5_000, 'the new version through the long-poll');
      assert.ok(Date.now() - t0 < 2_000, `a change reaches the agent at once, not at the poll's hold time (${Date.now() - t0} ms)`);
    } finally {
      channel.stop();
      await run;
    }
  });
});
