// Converges HAProxy to the newest desired SEConfig, level-triggered: whatever woke it, it takes the
// latest config offered, validates it, renders it, and applies it by Runtime API commands when
// only members' weight/state changed, else checks it with `haproxy -c` and reloads seamlessly. A
// config that fails any step is recorded as rejected (with HAProxy's own error) and the last good
// one keeps serving; the last good one is persisted (0600: it holds TLS keys) and served at boot.
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../runtime/log.js';
import type { AppliedConfig, SEConfig } from '../seapi/protocol.js';
import { planApply } from './haproxy/plan.js';
import { render, type Rendered, type RenderPaths } from './haproxy/render.js';
import { HAProxyError, type HAProxy } from './haproxy/runner.js';
import { validateSEConfig } from './validate.js';
import type { VipAddresser } from './vip.js';

export interface StatePaths extends RenderPaths {
  config: string;
  candidate: string;
  lastGood: string;
}

export function statePaths(stateDir: string): StatePaths {
  return {
    config: join(stateDir, 'haproxy.cfg'),
    candidate: join(stateDir, 'haproxy.cfg.next'),
    lastGood: join(stateDir, 'last-good.json'),
    statsSocket: join(stateDir, 'stats.sock'),
    serverStateFile: join(stateDir, 'server-state'),
    idleSocket: join(stateDir, 'idle.sock'),
    tlsDir: join(stateDir, 'tls'),
  };
}

export type ApplyOutcome = 'unchanged' | 'runtime' | 'reload' | 'started' | 'rejected';

export interface ApplierOptions {
  haproxy: HAProxy;
  vips: VipAddresser;
  paths: StatePaths;
  log: Logger;
  /** Identity for the empty config served before any config is known. */
  serviceEngine: SEConfig['serviceEngine'];
}

export function hashVips(vips: SEConfig['vips']): string {
  return createHash('sha256').update(JSON.stringify(vips)).digest('hex');
}

export class Applier {
  private current: { config: SEConfig; rendered: Rendered } | undefined;
  private rejected: AppliedConfig['rejected'];
  private pending: unknown;
  private hasPending = false;
  private loop: Promise<void> | undefined;
  /** Called after every apply attempt (the reporter sends a heartbeat / writes the report). */
  onApplied: (outcome: ApplyOutcome) => void = () => {};

  constructor(private readonly o: ApplierOptions) {}

  get applied(): AppliedConfig {
    const c = this.current?.config;
    const out: AppliedConfig = { version: c?.version ?? 0, hash: c?.hash ?? '' };
    if (this.rejected !== undefined) out.rejected = this.rejected;
    return out;
  }

  get rendered(): Rendered | undefined {
    return this.current?.rendered;
  }

  /** Starts HAProxy from the persisted last good config (or an empty one) before any controller answers. */
  async boot(): Promise<ApplyOutcome> {
    await mkdir(this.o.paths.tlsDir, { recursive: true, mode: 0o700 });
    let saved: unknown;
    try {
      saved = JSON.parse(await readFile(this.o.paths.lastGood, 'utf8'));
    } catch {
      saved = undefined;
    }
    const v = saved === undefined ? undefined : validateSEConfig(saved);
    if (v !== undefined && !v.ok) this.o.log.warn('persisted config is not valid, starting empty', { error: v.error });
    const config = v?.ok ? v.config : { version: 0, hash: hashVips([]), serviceEngine: this.o.serviceEngine, vips: [] };
    return this.applyValid(config);
  }

  /** Restarts HAProxy from the last good config if it is not running (it died, or a start
   *  failed): called on every report tick, so the data plane heals without a new config. */
  async ensureRunning(): Promise<void> {
    if (this.o.haproxy.running || this.loop !== undefined) return;
    const config = this.current?.config;
    this.o.log.warn('HAProxy is not running; starting it from the last good config', { version: config?.version ?? 0 });
    if (config === undefined) await this.boot();
    else await this.offer(config);
  }

  /** Offers a desired config (any JSON); returns when it, or a newer one, has been handled. */
  async offer(input: unknown): Promise<void> {
    this.pending = input;
    this.hasPending = true;
    if (this.loop === undefined) {
      this.loop = (async () => {
        try {
          while (this.hasPending) {
            const next = this.pending;
            this.hasPending = false;
            this.onApplied(await this.applyOne(next));
          }
        } finally {
          this.loop = undefined;
        }
      })();
    }
    return this.loop;
  }

  private async applyOne(input: unknown): Promise<ApplyOutcome> {
    const v = validateSEConfig(input);
    if (!v.ok) {
      this.o.log.warn('config rejected', { version: v.version, error: v.error });
      this.rejected = { version: v.version ?? -1, error: v.error };
      return 'rejected';
    }
    return this.applyValid(v.config);
  }

  private async applyValid(config: SEConfig): Promise<ApplyOutcome> {
    const running = this.current;
    if (running !== undefined && running.config.hash === config.hash && running.config.version === config.version && this.o.haproxy.running) {
      this.rejected = undefined;
      return 'unchanged';
    }
    const rendered = render(config, this.o.paths);
    for (const f of rendered.certFiles) await writeSecretFile(f.path, f.content);
    await writeFile(this.o.paths.candidate, rendered.text, { mode: 0o600 });
    const plan = this.o.haproxy.running ? planApply(running?.rendered, rendered) : { kind: 'reload' as const };
    // A runtime plan has the checked running config's structure with other weights/admin states
    // (validated ranges): the parser has nothing new to say about it, and skipping it keeps member
    // changes in milliseconds.
    if (plan.kind === 'reload') {
      const checked = await this.o.haproxy.check(this.o.paths.candidate);
      if (!checked.ok) return this.reject(config, checked.error);
    }
    const addresses = (c: SEConfig | undefined): string[] => (c?.vips ?? []).map((x) => x.address);
    // Addresses first (a bind needs them), the old ones removed after the new worker is up.
    await this.o.vips.converge([...new Set([...addresses(running?.config), ...addresses(config)])]);
    let outcome: ApplyOutcome;
    await rename(this.o.paths.candidate, this.o.paths.config);
    try {
      if (!this.o.haproxy.running) {
        await this.o.haproxy.start();
        outcome = 'started';
      } else if (plan.kind === 'reload') {
        await this.o.haproxy.reload();
        outcome = 'reload';
      } else {
        try {
          await this.o.haproxy.runtime(plan.kind === 'runtime' ? plan.commands : []);
          outcome = 'runtime';
        } catch (e) {
          this.o.log.warn('runtime API change failed, reloading instead', { error: (e as Error).message });
          await this.o.haproxy.reload();
          outcome = 'reload';
        }
      }
    } catch (e) {
      if (!(e instanceof HAProxyError)) throw e;
      // Put the last good config back where the master reads it, so a later reload serves it.
      if (running !== undefined) await writeFile(this.o.paths.config, running.rendered.text, { mode: 0o600 });
      await this.o.vips.converge(addresses(running?.config));
      return this.reject(config, e.message);
    }
    await this.o.vips.converge(addresses(config));
    this.current = { config, rendered };
    this.rejected = undefined;
    await writeSecretFile(this.o.paths.lastGood, JSON.stringify(config));
    await this.sweepCertFiles(rendered);
    this.o.log.info('config applied', { version: config.version, outcome, vips: config.vips.length });
    return outcome;
  }

  private reject(config: SEConfig, error: string): ApplyOutcome {
    this.o.log.warn('config rejected by HAProxy', { version: config.version, error });
    this.rejected = { version: config.version, error };
    return 'rejected';
  }

  private async sweepCertFiles(rendered: Rendered): Promise<void> {
    const keep = new Set(rendered.certFiles.map((f) => f.path));
    for (const name of await readdir(this.o.paths.tlsDir)) {
      const path = join(this.o.paths.tlsDir, name);
      if (!keep.has(path)) await rm(path, { force: true });
    }
  }
}

/** Written 0600 through a temporary file and a rename, so no reader sees half a key. */
async function writeSecretFile(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}
