// Defaulted views of the specs the controllers read. The apiserver fills CRD defaults in, but a
// cached object written before a default existed (or a unit test's literal) may lack them; the
// controllers read these views, never `?? 10` of their own. defaults.test.ts checks every
// constant here against the default in crds/*.yaml, so the two cannot drift.
import type { CloudObj, GroupObj, VSObj } from './objects.js';

export type PlacementPolicy = 'Packed' | 'Distributed';

/** CRD defaults by kind and spec path (the test reads the same paths out of the CRDs). */
export const CRD_DEFAULTS = {
  ServiceEngineGroup: {
    haMode: 'Shared',
    minScaleoutPerVS: 1,
    maxScaleoutPerVS: 4,
    maxSEs: 10,
    maxVSPerSE: 10,
    bufferSEs: 0,
    placement: 'Packed',
    seDeprovisionDelaySeconds: 300,
    drainTimeoutSeconds: 30,
  },
  VirtualService: {
    seGroupRef: 'default',
    enabled: true,
    'scaleout.minSEs': 1,
    'scaleout.maxSEs': 4,
    'scaleout.ecmp': false,
  },
  Cloud: {
    resyncPeriodSeconds: 30,
    'serviceEngine.bootstrap': 'ConfigDrive',
  },
} as const;

const G = CRD_DEFAULTS.ServiceEngineGroup;
const V = CRD_DEFAULTS.VirtualService;
const C = CRD_DEFAULTS.Cloud;

/** The name of the group a VirtualService without seGroupRef uses. */
export const DEFAULT_GROUP = V.seGroupRef;

export interface GroupSpecView {
  minScaleoutPerVS: number;
  maxScaleoutPerVS: number;
  maxSEs: number;
  maxVSPerSE: number;
  bufferSEs: number;
  placement: PlacementPolicy;
  seDeprovisionDelaySeconds: number;
  /** scale-in drain while still in the ECMP set (model/drainplan.ts); 0: withdraw first */
  drainTimeoutSeconds: number;
}

export function groupSpec(g: GroupObj): GroupSpecView {
  const s = g.spec;
  return {
    minScaleoutPerVS: s.minScaleoutPerVS ?? G.minScaleoutPerVS,
    maxScaleoutPerVS: s.maxScaleoutPerVS ?? G.maxScaleoutPerVS,
    maxSEs: s.maxSEs ?? G.maxSEs,
    maxVSPerSE: s.maxVSPerSE ?? G.maxVSPerSE,
    bufferSEs: s.bufferSEs ?? G.bufferSEs,
    placement: (s.placement ?? G.placement) as PlacementPolicy,
    seDeprovisionDelaySeconds: s.seDeprovisionDelaySeconds ?? G.seDeprovisionDelaySeconds,
    drainTimeoutSeconds: s.drainTimeoutSeconds ?? G.drainTimeoutSeconds,
  };
}

export interface VSSpecView {
  seGroupRef: string;
  enabled: boolean;
  scaleout: { minSEs: number; maxSEs: number; ecmp: boolean };
}

export function vsSpec(vs: Pick<VSObj, 'spec'>): VSSpecView {
  const s = vs.spec;
  return {
    seGroupRef: s.seGroupRef ?? V.seGroupRef,
    enabled: s.enabled ?? V.enabled,
    scaleout: {
      minSEs: s.scaleout?.minSEs ?? V['scaleout.minSEs'],
      maxSEs: s.scaleout?.maxSEs ?? V['scaleout.maxSEs'],
      ecmp: s.scaleout?.ecmp ?? V['scaleout.ecmp'],
    },
  };
}

export function cloudResyncMs(spec: CloudObj['spec']): number {
  return (spec.resyncPeriodSeconds ?? C.resyncPeriodSeconds) * 1000;
}

export function cloudBootstrap(spec: CloudObj['spec']): 'ConfigDrive' | 'MetadataService' {
  return spec.serviceEngine.bootstrap ?? C['serviceEngine.bootstrap'];
}

/**
 * Where the Contrail analytics API (UVEs) is asked: spec.contrail.analyticsURL, else the VNC API
 * URL. Not a CRD default because it follows another field; and not a guessed :8081, because a
 * front (ingress, HAProxy) that serves both APIs under one name — the only way analytics was
 * reachable before the field existed — would break, as would the simulator, which serves both.
 */
export function contrailAnalyticsURL(contrail: NonNullable<CloudObj['spec']['contrail']>): string {
  return contrail.analyticsURL ?? contrail.apiURL;
}
