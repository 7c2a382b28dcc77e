// The composition root, and only that: one Manager, the shared informers (with the indexes every
// controller looks things up by, named in model/context.ts), the cloud connections, an event
// recorder, the clock, and the list of installers — one per controller — that register their
// controllers on the manager. Adding a controller is adding one line to `installers`. The
// vocabulary the controllers share lives in model/; nothing imports this file but the CLI.
import type { Registry } from 'prom-client';
import type winston from 'winston';
import {
  Controller, Manager, silentLogger, startHealthServer, type ControllerOptions, type ManagerOptions,
  type HealthServer, type KubeClient, type KubeObject,
} from '../runtime/index.js';
import {
  CloudConnections, dataPathSettleMs, DEFAULT_GROUP, INDEX, resourceOf, SECRETS, systemClock,
  type CloudObj, type GroupObj, type Informers, type Installer, type OperatorContext, type PoolObj, type SEObj, type Secret, type StatusClock, type VSObj,
} from './model/index.js';
import { analyticsSources, registerAnalytics } from './analytics.js';
import { installAutoscaleController } from './autoscale/controller.js';
import { installCloudController } from './cloud/controller.js';
import type { OperatorConfig } from './config.js';
import { feedDesiredConfigs } from './desiredfeed.js';
import { ScaleInDrains } from './leaving.js';
import { TLSSecrets } from './tlssecrets.js';
import { installOrphanSweep } from './orphans/controller.js';
import { AgentRegistry, BootstrapTokens, DesiredConfigs, registerVSAnalytics, servesVirtualService, startSEApi, WitnessBoard, type CertificateAuthority, type SEApi, type SEApiConfig } from '../seapi/index.js';
import { installServiceEngineController } from './serviceengine/controller.js';
import { installGroupController } from './serviceenginegroup/controller.js';
import { installPoolController } from './pool/controller.js';
import { reportedMembers } from './pool/members.js';
import { installVirtualServiceController } from './virtualservice/controller.js';


/** Every controller of the operator. */
export const installers: Installer[] = [
  installCloudController,
  installGroupController,
  installServiceEngineController,
  installPoolController, installVirtualServiceController,
  installOrphanSweep,
  installAutoscaleController,
];

const ns = (o: KubeObject): string => o.metadata.namespace ?? '';
const key = (namespace: string, name: string): string => `${namespace}/${name}`;

function makeInformers(manager: Manager, config: OperatorConfig): Informers {
  // One namespace: watch just it (namespaced RBAC suffices). Several: watch all, ignore the rest.
  const scope = config.namespaces.length === 1 ? { namespace: config.namespaces[0] as string } : {};
  // A shard (--watch-label-selector) lists/watches only its own objects of every reconciled kind.
  const shard = config.watchLabelSelector !== undefined ? { labelSelector: config.watchLabelSelector } : {};
  return {
    clouds: manager.informer<CloudObj>(resourceOf('Cloud'), {
      ...shard,
      indexers: {
        [INDEX.cloudBySecret]: (c) => {
          const r = c.spec?.keystone?.credentialsSecretRef;
          return r === undefined ? [] : [key(r.namespace, r.name)];
        },
      },
    }),
    groups: manager.informer<GroupObj>(resourceOf('ServiceEngineGroup'), {
      ...scope, ...shard,
      indexers: { [INDEX.groupByCloud]: (g) => [g.spec.cloudRef] },
    }),
    serviceEngines: manager.informer<SEObj>(resourceOf('ServiceEngine'), {
      ...scope, ...shard,
      indexers: {
        [INDEX.seByGroup]: (s) => [key(ns(s), s.spec.seGroupRef)],
        [INDEX.seByCloud]: (s) => [s.spec.cloudRef],
      },
    }),
    virtualServices: manager.informer<VSObj>(resourceOf('VirtualService'), {
      ...scope, ...shard,
      indexers: {
        [INDEX.vsBySE]: (v) => (v.status?.serviceEngines ?? []).flatMap((s) => (s.name === undefined ? [] : [key(ns(v), s.name)])),
        [INDEX.vsByGroup]: (v) => [key(ns(v), v.spec.seGroupRef ?? DEFAULT_GROUP)],
        [INDEX.vsByPool]: (v) => [key(ns(v), v.spec.poolRef)],
        [INDEX.vsByCloud]: (v) => [v.spec.cloudRef],
      },
    }),
    pools: manager.informer<PoolObj>(resourceOf('Pool'), {
      ...scope, ...shard,
      indexers: { [INDEX.poolByCloud]: (p) => [p.spec.cloudRef] },
    }),
    secrets: manager.informer<Secret>(SECRETS, { namespace: config.secretsNamespace }),
  };
}

/** A manager that only runs the controllers named in --controllers; the others exist but never start. */
class SelectiveManager extends Manager {
  constructor(o: ManagerOptions, private readonly enabled: ReadonlySet<string> | undefined) {
    super(o);
  }

  override controller<T extends KubeObject>(opts: Omit<ControllerOptions<T>, 'logger' | 'registry'>): Controller<T> {
    if (this.enabled === undefined || this.enabled.has(opts.name)) return super.controller(opts);
    this.logger.info('controller disabled by --controllers', { controller: opts.name });
    return new Controller<T>(opts);
  }
}

export interface OperatorOptions {
  client: KubeClient;
  logger?: winston.Logger;
  registry?: Registry;
  /** Resolved cluster ID (the CLI resolves the default before building). */
  clusterID: string;
  /** Time for status (default: the system clock); tests inject their own. */
  clock?: StatusClock;
  /** The SE API (--se-api-addr); absent: off, and the controllers behave as before it existed. */
  seapi?: {
    config: SEApiConfig;
    ca: CertificateAuthority;
    /** What SEs are told to dial; default https://<bound address>. */
    controllerURLs?: string[];
  };
}

export interface Operator {
  manager: Manager;
  context: OperatorContext;
  /** The SE API's desired configs (with --se-api-addr): what in-process tests' fake agents report applied. */
  seConfigs?: DesiredConfigs;
  /** Runs until stop aborts or the lease is lost; closes cloud connections on the way out. */
  run(stop: AbortSignal): Promise<'stopped' | 'lost-lease'>;
}

const leaderElectionOf = ({ leaderElection: l }: OperatorConfig) =>
  ({ name: l.name, namespace: l.namespace, leaseDurationMs: l.leaseDurationMs, renewDeadlineMs: l.renewDeadlineMs, retryPeriodMs: l.retryPeriodMs });

export function buildOperator(config: OperatorConfig, o: OperatorOptions): Operator {
  const logger = o.logger ?? silentLogger();
  const manager = new SelectiveManager({
    client: o.client, logger,
    ...(o.registry !== undefined ? { registry: o.registry } : {}),
    ...(config.leaderElection.enabled ? { leaderElection: leaderElectionOf(config) } : {}),
    ...(config.healthAddr !== undefined ? { health: { host: config.healthAddr.host, port: config.healthAddr.port } } : {}),
  }, config.controllers === undefined ? undefined : new Set(config.controllers));
  const informers = makeInformers(manager, config);
  const connections = new CloudConnections();
  const events = manager.recorder('lb.contrail-operator.io/contrail-lb-operator');
  const context: OperatorContext = {
    config, clusterID: o.clusterID, manager, client: o.client, informers, connections, events, logger, clock: o.clock ?? systemClock,
    watches: (namespace) => config.namespaces.length === 0 || (namespace !== undefined && config.namespaces.includes(namespace)),
  };
  const se = o.seapi;
  let tls: TLSSecrets | undefined;
  const agents = se !== undefined ? new AgentRegistry({ timeoutMs: se.config.heartbeatTimeoutMs }) : undefined;
  // Versions never go back across a restart or takeover: the agent's applied version is the floor.
  const configs = new DesiredConfigs((k) => {
    const a = agents?.get(k);
    return a && { version: a.applied.version, hash: a.applied.hash };
  });
  const witnesses = new WitnessBoard();
  if (se !== undefined && agents !== undefined) {
    context.seChannel = {
      witnesses,
      agents, tokens: new BootstrapTokens(o.client, { ttlMs: se.config.tokenTTLMs, namespaces: config.namespaces }),
      controllerURLs: se.controllerURLs ?? [], caBundle: se.ca.certPem, heartbeatIntervalMs: se.config.heartbeatIntervalMs,
      repair: {
        heartbeatTimeoutMs: se.config.heartbeatTimeoutMs, failureTimeoutMs: se.config.failureTimeoutMs,
        breakerPercent: se.config.repairBreakerPercent, maxInFlight: se.config.repairMaxInFlight,
        dataPathSettleMs: dataPathSettleMs(se.config.heartbeatIntervalMs),
      },
      serves: (seKey, vsName) => servesVirtualService(configs.get(seKey), agents.get(seKey), agents.connected(seKey), vsName),
      poolMembers: (seKey, vsName) => reportedMembers(agents, seKey, vsName),
      drains: new ScaleInDrains(),
    };
    // Every replica reads (a standby has the material at takeover); the VS controller reports.
    tls = new TLSSecrets({ client: o.client, logger });
    context.seChannel.tls = tls;
    feedDesiredConfigs(informers, configs, tls, context.seChannel.drains);
    // A deleted SE's agent record (and its analytics series) goes with it.
    informers.serviceEngines.addHandlers({ onDelete: (obj) => agents.forget(`${ns(obj)}/${obj.metadata.name}`) });
    const seLabels = config.metricsSELabels !== false;
    registerVSAnalytics(manager.registry, agents, () => manager.isLeading(), { seLabels });
    registerAnalytics(manager.registry, analyticsSources(informers, agents, configs, () => manager.isLeading(), seLabels));
  }
  for (const install of installers) install(context);
  return {
    manager, context, ...(se !== undefined ? { seConfigs: configs } : {}),
    async run(stop) {
      let metrics: HealthServer | undefined;
      let seapi: SEApi | undefined;
      let ticker: NodeJS.Timeout | undefined;
      if (config.metricsAddr !== undefined) {
        metrics = await startHealthServer({ registry: manager.registry, checks: {}, host: config.metricsAddr.host, port: config.metricsAddr.port });
      }
      try {
        if (se !== undefined && agents !== undefined && context.seChannel !== undefined) {
          // Config and heartbeats are served by the leader (the one whose caches the controllers
          // act on); enroll and renew by every replica (docs/se-api.md).
          seapi = await startSEApi({ config: se.config, configs, agents, client: o.client, ca: se.ca, registry: manager.registry, logger, serving: () => manager.isLeading(), probeTargets: (k) => witnesses.targetsFor(k) });
          if (context.seChannel.controllerURLs.length === 0) context.seChannel.controllerURLs.push(seapi.url);
          logger.info('serving the SE API', { url: seapi.url, controllerURLs: context.seChannel.controllerURLs });
          let leading = false;
          const registry = agents;
          ticker = setInterval(() => {
            // A takeover: like a start, nobody is declared disconnected for one heartbeat timeout.
            if (manager.isLeading() && !leading) registry.restartGrace();
            leading = manager.isLeading();
            if (leading) registry.tick();
          }, 1000);
          ticker.unref();
        }
        return await manager.run(stop);
      } finally {
        if (ticker !== undefined) clearInterval(ticker);
        await seapi?.close();
        connections.closeAll();
        tls?.close();
        await events.flush();
        await metrics?.close();
      }
    },
  };
}

/** The default cluster ID: the kube-system namespace's uid, stable for the cluster's life. */
export async function defaultClusterID(client: KubeClient): Promise<string> {
  const nsObj = await client.get<KubeObject>('/api/v1/namespaces/kube-system');
  const uid = nsObj.metadata.uid;
  if (uid === undefined) throw new Error('the kube-system namespace has no uid');
  return uid;
}
