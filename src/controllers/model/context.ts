// What every controller is given: the shared informers and the indexes they are looked up by,
// the cloud connections, the event recorder, the configuration and the clock. The composition
// root (operator.ts) builds it; controllers only read it, so they never import each other or
// the root (eslint.config.js enforces it).
import type winston from 'winston';
import type { EventRecorder, Informer, KubeClient, Manager } from '../../runtime/index.js';
import type { OperatorConfig } from '../config.js';
import type { CloudConnections } from './connections.js';
import type { CloudObj, GroupObj, PoolObj, SEObj, Secret, VSObj } from './objects.js';
import type { SEChannel } from './sechannel.js';

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

export interface Informers {
  clouds: Informer<CloudObj>;
  groups: Informer<GroupObj>;
  serviceEngines: Informer<SEObj>;
  virtualServices: Informer<VSObj>;
  pools: Informer<PoolObj>;
  secrets: Informer<Secret>;
}

/** Wall-clock time for everything a status reports (conditions' lastTransitionTime, idle times). */
export interface StatusClock {
  now(): Date;
}

export const systemClock: StatusClock = { now: () => new Date() };

export interface OperatorContext {
  config: OperatorConfig;
  clusterID: string;
  manager: Manager;
  client: KubeClient;
  informers: Informers;
  connections: CloudConnections;
  events: EventRecorder;
  logger: winston.Logger;
  /** The one source of time for status and timers: tests inject their own. */
  clock: StatusClock;
  /** Whether objects in this namespace are ours to reconcile (--namespace). */
  watches(namespace: string | undefined): boolean;
  /** The SE API's side the controllers use; undefined when the SE API is off. */
  seChannel?: SEChannel;
}

export type Installer = (ctx: OperatorContext) => void;
