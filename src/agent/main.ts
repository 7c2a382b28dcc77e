// `contrail-lb-operator se-agent`: the program a Service Engine runs. It starts HAProxy from the
// last good config in the state dir before anything else (the data plane outlives the control
// plane), then either follows the operator over the SE API (identity from the config drive or the
// metadata service) or, with --static-config, a local SEConfig file (standalone/debug, and what
// the process tests drive).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { unwatchFile, watchFile } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import process from 'node:process';
import { createLogger, type Logger } from '../runtime/log.js';
import { Applier, statePaths } from './applier.js';
import { readIdentity, type Identity } from './bootstrap.js';
import type { AgentFlags } from './flags.js';
import { Channel } from './channel.js';
import { HAProxy } from './haproxy/runner.js';
import { memberDigest, watchMembers } from './memberwatch.js';
import { httpProbe, netnsProbe, PeerProber } from './peerprobe.js';
import { jittered, Reporter } from './report.js';
import { SystemStats } from './sysstats.js';
import { NetnsVipAddresser, NoVipAddresser } from './vip.js';

/** Runs the agent with parsed flags (src/cli/se-agent.ts parses them and handles --help). */
export async function runAgent(flags: AgentFlags): Promise<number> {
  const log = createLogger({ level: flags.logLevel }).child({ component: 'se-agent' });
  await mkdir(flags.stateDir, { recursive: true, mode: 0o700 });

  let identity: Identity | undefined;
  if (flags.source !== undefined) {
    // The identity is read before HAProxy starts only to name the empty config; a missing drive
    // must not keep the persisted config from serving, so failures are retried below.
    identity = await readIdentity(flags.source).catch((e: unknown) => {
      log.warn('bootstrap not readable yet', { error: (e as Error).message });
      return undefined;
    });
  }
  const healthPort = flags.healthCheckPort ?? (flags.netns !== undefined ? 8404 : 0);
  const paths = { ...statePaths(flags.stateDir), ...(healthPort > 0 ? { healthCheck: { port: healthPort } } : {}) };
  const haproxy = new HAProxy({
    binary: flags.haproxy,
    paths: { config: paths.config, masterSocket: `${flags.stateDir}/master.sock`, statsSocket: paths.statsSocket, pidFile: `${flags.stateDir}/haproxy.pid`, serverStateFile: paths.serverStateFile },
    ...(flags.netns !== undefined ? { netns: flags.netns } : {}),
    log,
  });
  const applier = new Applier({
    haproxy,
    vips: flags.netns !== undefined ? new NetnsVipAddresser(flags.netns) : new NoVipAddresser(),
    paths,
    log,
    serviceEngine: identity?.bootstrap.serviceEngine ?? { namespace: 'static', name: 'se', uid: '0' },
  });
  const reporter = new Reporter(applier, haproxy, new SystemStats());

  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      stopping = true;
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

  const booted = await applier.boot();
  log.info('serving the persisted config', { outcome: booted, version: applier.applied.version });

  try {
    if (flags.staticConfig !== undefined) {
      await runStatic(flags, applier, reporter, log, () => stopping, stopped);
    } else {
      while (identity === undefined && !stopping) {
        await Promise.race([sleep(2000), stopped]);
        identity = await readIdentity(flags.source ?? { configDrive: '/mnt/config' }).catch(() => undefined);
      }
      if (identity !== undefined && !stopping) {
        // Witness probes for the operator (plain Neutron's data-path signal), from the SE's own stack.
        const prober = new PeerProber(flags.netns !== undefined ? netnsProbe(flags.netns) : httpProbe);
        reporter.probes = () => prober.reports();
        const channel = new Channel({
          identity,
          stateDir: flags.stateDir,
          log,
          onConfig: (c) => applier.offer(c),
          heartbeat: async () => {
            await applier.ensureRunning().catch((e: unknown) => log.warn('HAProxy restart failed', { error: (e as Error).message }));
            return reporter.heartbeat();
          },
          appliedVersion: () => applier.applied.version,
          onProbeTargets: (t) => prober.setTargets(t),
        });
        const running = channel.run();
        const probing = prober.run();
        const watching = watchMembers({
          sample: async () => { const v = await reporter.members(); return v && memberDigest(v); },
          onChange: () => channel.heartbeatNow(),
          stopped: () => stopping,
        });
        await stopped;
        channel.stop();
        prober.stop();
        await Promise.all([running, watching, probing]);
      }
    }
  } finally {
    await haproxy.stop();
  }
  return 0;
}

async function runStatic(
  flags: AgentFlags,
  applier: Applier,
  reporter: Reporter,
  log: Logger,
  isStopping: () => boolean,
  stopped: Promise<void>,
): Promise<void> {
  const file = flags.staticConfig as string;
  const writeReport = async (): Promise<void> => {
    if (flags.reportFile === undefined) return;
    const hb = await reporter.heartbeat();
    await writeFile(`${flags.reportFile}.tmp`, JSON.stringify(hb, null, 2));
    await rename(`${flags.reportFile}.tmp`, flags.reportFile);
  };
  let lastText: string | undefined;
  const load = async (): Promise<void> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      log.warn('static config not readable', { error: (e as Error).message });
      return;
    }
    if (text === lastText) return;
    lastText = text;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text) as unknown;
    } catch {
      parsed = { invalid: 'not JSON' };
    }
    await applier.offer(parsed);
  };
  applier.onApplied = () => {
    writeReport().catch((e: unknown) => log.warn('report not written', { error: (e as Error).message }));
  };
  // Polling stat (not inotify): survives the file being replaced by a rename, as editors and tests do.
  let chain = Promise.resolve();
  const onChange = (): void => {
    chain = chain.then(load, load);
  };
  watchFile(file, { interval: 50 }, onChange);
  process.on('SIGHUP', onChange);
  onChange();
  try {
    while (!isStopping()) {
      await applier.ensureRunning().catch((e: unknown) => log.warn('HAProxy restart failed', { error: (e as Error).message }));
      await writeReport().catch((e: unknown) => log.warn('report not written', { error: (e as Error).message }));
      await Promise.race([sleep(jittered(flags.reportIntervalMs)), stopped]);
    }
  } finally {
    unwatchFile(file, onChange);
    process.off('SIGHUP', onChange);
    await chain;
  }
}
