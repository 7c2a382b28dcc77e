// The manager wires one process: shared informers (started on every replica so caches are warm),
// controllers (run only while this replica leads), leader election, and the health endpoint.
import { Registry } from 'prom-client';
import type winston from 'winston';
import { Controller, type ControllerOptions } from './controller.js';
import { EventRecorder } from './events.js';
import { startHealthServer, type HealthServer } from './health.js';
import { Informer, type InformerOptions } from './informer.js';
import type { KubeClient } from './kube.js';
import { LeaderElector, defaultIdentity, type LeaderElectionOptions } from './leaderelection.js';
import { silentLogger } from './log.js';
import { runtimeMetrics } from './metrics.js';
import { reflectorMetrics } from './reflectormetrics.js';
import type { KubeObject, ResourceType } from './objects.js';

export interface ManagerOptions {
  client: KubeClient;
  logger?: winston.Logger;
  registry?: Registry;
  /** Lease to campaign for; omit to run controllers without election (single replica, tests). */
  leaderElection?: Omit<LeaderElectionOptions, 'client' | 'logger' | 'registry'>;
  /** Serve /healthz /readyz /metrics; omit to serve nothing. */
  health?: { host?: string; port?: number };
  /** Time in-flight reconciles get to finish on shutdown; default 30 s. */
  shutdownGraceMs?: number;
}

export type ManagerExit = 'stopped' | 'lost-lease';

export class Manager {
  readonly client: KubeClient;
  readonly logger: winston.Logger;
  readonly registry: Registry;
  readonly elector: LeaderElector | undefined;
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly controllers: Controller<KubeObject>[] = [];
  private health: HealthServer | undefined;
  private leading = false;
  private instance: string | undefined;

  constructor(private readonly o: ManagerOptions) {
    this.client = o.client;
    this.logger = o.logger ?? silentLogger();
    this.registry = o.registry ?? new Registry();
    runtimeMetrics(this.registry);
    reflectorMetrics(this.registry, () => [...this.informers.values()].map((i) => ({ resource: i.resource.plural, stats: i.reflector.stats })));
    this.elector = o.leaderElection
      ? new LeaderElector({ ...o.leaderElection, client: o.client, logger: this.logger, registry: this.registry })
      : undefined;
  }

  /** The shared informer for a resource (one per resource + namespace + selectors). */
  informer<T extends KubeObject>(rt: ResourceType, opts: InformerOptions<T> = {}): Informer<T> {
    const id = [rt.group, rt.version, rt.plural, opts.namespace ?? '', opts.labelSelector ?? '', opts.fieldSelector ?? ''].join('|');
    let inf = this.informers.get(id) as Informer<T> | undefined;
    if (!inf) {
      inf = new Informer<T>(this.client, rt, { logger: this.logger, ...opts });
      this.informers.set(id, inf as unknown as Informer<KubeObject>);
    } else {
      for (const [name, fn] of Object.entries(opts.indexers ?? {})) inf.store.addIndex(name, fn);
    }
    return inf;
  }

  controller<T extends KubeObject>(opts: Omit<ControllerOptions<T>, 'logger' | 'registry'>): Controller<T> {
    const c = new Controller<T>({ ...opts, logger: this.logger, registry: this.registry });
    this.controllers.push(c as unknown as Controller<KubeObject>);
    return c;
  }

  /** An event recorder reporting as this controller and this replica's identity. */
  recorder(reportingController: string): EventRecorder {
    return new EventRecorder({
      client: this.client,
      reportingController,
      reportingInstance: this.elector?.identity ?? (this.instance ??= defaultIdentity()),
      logger: this.logger,
    });
  }

  /** Health URL once run() has started the server. */
  healthURL(): string | undefined {
    return this.health?.url;
  }

  isLeading(): boolean {
    return this.leading;
  }

  /** Readiness: every cache synced and leadership known (leader or standby). */
  readiness(): Record<string, () => true | string> {
    return {
      caches: () => {
        const pending = [...this.informers.values()].filter((i) => !i.hasSynced()).map((i) => i.resource.plural);
        return pending.length === 0 || `not synced: ${pending.join(', ')}`;
      },
      leaderElection: () => !this.elector || this.elector.state() !== 'unknown' || 'leadership not yet known',
    };
  }

  /** Runs until stop aborts ('stopped') or leadership is lost ('lost-lease': exit and restart). */
  async run(stop: AbortSignal): Promise<ManagerExit> {
    const informersStop = new AbortController();
    const running = [...this.informers.values()].map((i) => i.start(informersStop.signal));
    if (this.o.health) this.health = await startHealthServer({ registry: this.registry, checks: this.readiness(), ...this.o.health });
    let exit: ManagerExit = 'stopped';
    try {
      await Promise.all([...this.informers.values()].map((i) => i.waitForSync(stop).catch(() => undefined)));
      if (stop.aborted) return 'stopped';
      if (!this.elector) {
        this.startControllers();
        await new Promise((r) => stop.addEventListener('abort', r, { once: true }));
        await this.stopControllers(this.o.shutdownGraceMs ?? 30_000);
      } else {
        let stopping: Promise<void> = Promise.resolve();
        const outcome = await this.elector.run(stop, (leading) => {
          this.startControllers();
          return new Promise<void>((resolve) =>
            leading.addEventListener(
              'abort',
              () => {
                // Lost lease: stop now. Graceful stop: give in-flight work its grace period.
                stopping = this.stopControllers(stop.aborted ? (this.o.shutdownGraceMs ?? 30_000) : 0);
                void stopping.then(resolve);
              },
              { once: true },
            ),
          );
        });
        await stopping;
        if (outcome === 'lost') exit = 'lost-lease';
      }
      return exit;
    } finally {
      informersStop.abort();
      await Promise.allSettled(running);
      await this.health?.close();
      this.logger.info('manager stopped', { exit });
    }
  }

  private startControllers(): void {
    this.leading = true;
    for (const c of this.controllers) c.start();
  }

  private async stopControllers(graceMs: number): Promise<void> {
    this.leading = false;
    await Promise.all(this.controllers.map((c) => c.stop(graceMs)));
  }
}
