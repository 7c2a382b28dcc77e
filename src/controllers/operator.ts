// The operator's wiring: one Manager, the shared informers (with the indexes every controller
// looks things up by), the cloud connections, an event recorder, and the list of installers —
// one per controller — that register their controllers on the manager. Adding a controller is
// adding one line to `installers`.
import type { Registry } from 'prom-client';
import type winston from 'winston';
import { kinds, type Cloud, type KindName, type Pool, type ServiceEngine, type ServiceEngineGroup, type VirtualService } from '../api/index.js';
import {
  Controller, Manager, type EventRecorder, silentLogger, startHealthServer, type ControllerOptions, type ManagerOptions,
  type HealthServer, type Informer, type KubeClient, type KubeObject, type ObjectMeta, type ResourceType,
} from '../runtime/index.js';
import { CloudConnections } from './cloud/connections.js';
import { installCloudController } from './cloud/controller.js';
import type { OperatorConfig } from './config.js';
import { installOrphanSweep } from './orphans/controller.js';
import { installServiceEngineController } from './serviceengine/controller.js';
import { installGroupController } from './serviceenginegroup/controller.js';
import { installPoolController } from './pool/controller.js';
import { installVirtualServiceController } from './virtualservice/controller.js';

export interface Secret extends KubeObject {
  data?: Record<string, string>;
  type?: string;
}

/**
 * Our kinds as the runtime holds them: the generated types with plain-JSON metadata (the
 * generated ObjectMeta says Date where the wire, and the cache, carry RFC 3339 strings).
 */
export type Obj<T extends { metadata: unknown }> = Omit<T, 'metadata'> & { metadata: ObjectMeta & { creationTimestamp?: string } };
export type CloudObj = Obj<Cloud>;
export type GroupObj = Obj<ServiceEngineGroup>;
export type SEObj = Obj<ServiceEngine>;
export type VSObj = Obj<VirtualService>;
export type PoolObj = Obj<Pool>;

export function resourceOf(kind: KindName): ResourceType {
  const k = kinds[kind];
  return { group: k.group, version: k.version, plural: k.plural, namespaced: k.namespaced, kind: k.kind };
}

export const SECRETS: ResourceType = { group: '', version: 'v1', plural: 'secrets', namespaced: true, kind: 'Secret' };

/** Index names on the shared informers. Values are "namespace/name" unless said otherwise. */
export const INDEX = {
  /** ServiceEngine by its group (`ns/seGroupRef`). */
  seByGroup: 'se-by-group',
  /** ServiceEngine by cloud name. */
  seByCloud: 'se-by-cloud',
  /** ServiceEngineGroup by cloud name. */
  groupByCloud: 'group-by-cloud',
  /** VirtualService by every SE in its status.serviceEngines (`ns/seName`). */
  vsBySE: 'vs-by-se',
  /** VirtualService by its group (`ns/seGroupRef`, default `default`). */
  vsByGroup: 'vs-by-group',
  /** VirtualService by its pool (`ns/poolRef`). */
  vsByPool: 'vs-by-pool',
  /** VirtualService by cloud name. */
  vsByCloud: 'vs-by-cloud',
  /** Pool by cloud name. */
  poolByCloud: 'pool-by-cloud',
  /** Cloud by its credentials Secret (`ns/name`). */
  cloudBySecret: 'cloud-by-secret',
} as const;

export const DEFAULT_GROUP = 'default';

export interface Informers {
  clouds: Informer<CloudObj>;
  groups: Informer<GroupObj>;
  serviceEngines: Informer<SEObj>;
  virtualServices: Informer<VSObj>;
  pools: Informer<PoolObj>;
  secrets: Informer<Secret>;
}

export interface OperatorContext {
  config: OperatorConfig;
  clusterID: string;
  manager: Manager;
  client: KubeClient;
  informers: Informers;
  connections: CloudConnections;
  events: EventRecorder;
  logger: winston.Logger;
  /** Whether objects in this namespace are ours to reconcile (--namespace). */
  watches(namespace: string | undefined): boolean;
}

export type Installer = (ctx: OperatorContext) => void;

/** Every controller of the operator. The VS engineer adds Pool and VirtualService here. */
export const installers: Installer[] = [
  installCloudController,
  installGroupController,
  installServiceEngineController,
  installPoolController, installVirtualServiceController,
  installOrphanSweep,
];

const ns = (o: KubeObject): string => o.metadata.namespace ?? '';
const key = (namespace: string, name: string): string => `${namespace}/${name}`;

function makeInformers(manager: Manager, config: OperatorConfig): Informers {
  // One namespace: watch just it (namespaced RBAC suffices). Several: watch all, ignore the rest.
  const scope = config.namespaces.length === 1 ? { namespace: config.namespaces[0] as string } : {};
  return {
    clouds: manager.informer<CloudObj>(resourceOf('Cloud'), {
      indexers: {
        [INDEX.cloudBySecret]: (c) => {
          const r = c.spec?.keystone?.credentialsSecretRef;
          return r === undefined ? [] : [key(r.namespace, r.name)];
        },
      },
    }),
    groups: manager.informer<GroupObj>(resourceOf('ServiceEngineGroup'), {
      ...scope,
      indexers: { [INDEX.groupByCloud]: (g) => [g.spec.cloudRef] },
    }),
    serviceEngines: manager.informer<SEObj>(resourceOf('ServiceEngine'), {
      ...scope,
      indexers: {
        [INDEX.seByGroup]: (s) => [key(ns(s), s.spec.seGroupRef)],
        [INDEX.seByCloud]: (s) => [s.spec.cloudRef],
      },
    }),
    virtualServices: manager.informer<VSObj>(resourceOf('VirtualService'), {
      ...scope,
      indexers: {
        [INDEX.vsBySE]: (v) => (v.status?.serviceEngines ?? []).flatMap((s) => (s.name === undefined ? [] : [key(ns(v), s.name)])),
        [INDEX.vsByGroup]: (v) => [key(ns(v), v.spec.seGroupRef ?? DEFAULT_GROUP)],
        [INDEX.vsByPool]: (v) => [key(ns(v), v.spec.poolRef)],
        [INDEX.vsByCloud]: (v) => [v.spec.cloudRef],
      },
    }),
    pools: manager.informer<PoolObj>(resourceOf('Pool'), {
      ...scope,
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
}

export interface Operator {
  manager: Manager;
  context: OperatorContext;
  /** Runs until stop aborts or the lease is lost; closes cloud connections on the way out. */
  run(stop: AbortSignal): Promise<'stopped' | 'lost-lease'>;
}

export function buildOperator(config: OperatorConfig, o: OperatorOptions): Operator {
  const logger = o.logger ?? silentLogger();
  const manager = new SelectiveManager({
    client: o.client, logger,
    ...(o.registry !== undefined ? { registry: o.registry } : {}),
    ...(config.leaderElection.enabled ? { leaderElection: { name: config.leaderElection.name, namespace: config.leaderElection.namespace } } : {}),
    ...(config.healthAddr !== undefined ? { health: { host: config.healthAddr.host, port: config.healthAddr.port } } : {}),
  }, config.controllers === undefined ? undefined : new Set(config.controllers));
  const informers = makeInformers(manager, config);
  const connections = new CloudConnections();
  const events = manager.recorder('lb.contrail-operator.io/contrail-lb-operator');
  const context: OperatorContext = {
    config, clusterID: o.clusterID, manager, client: o.client, informers, connections, events, logger,
    watches: (namespace) => config.namespaces.length === 0 || (namespace !== undefined && config.namespaces.includes(namespace)),
  };
  for (const install of installers) install(context);
  return {
    manager, context,
    async run(stop) {
      let metrics: HealthServer | undefined;
      if (config.metricsAddr !== undefined) {
        metrics = await startHealthServer({ registry: manager.registry, checks: {}, host: config.metricsAddr.host, port: config.metricsAddr.port });
      }
      try {
        return await manager.run(stop);
      } finally {
        connections.closeAll();
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
