// `status`'s pure parts: its flags, and the view of a VirtualService with its Pool and SEs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pool, ServiceEngine, VirtualService } from '../api/types.gen.js';
import { parseStatusArgs, renderText, summarize, StatusUsageError } from './status.js';

const apiVersion = 'lb.contrail-operator.io/v1alpha1' as const;

function vs2(): VirtualService {
  return {
    apiVersion, kind: 'VirtualService', metadata: { name: 'vs2', namespace: 'demo' },
    spec: {
      cloudRef: 'jvnc2', poolRef: 'vs2-pool', vip: [{ vipID: '0', networkRef: 'vip-net' }], services: [{ port: 80 }, { port: 8000, portRangeEnd: 8010, enableSSL: true }],
      scaleout: { ecmp: true, minSEs: 1, maxSEs: 4, autoscale: { metric: 'ConnectionsPerSE', target: 1000 } },
    },
    status: {
      operStatus: { state: 'OPER_UP', reason: [] }, percentSEsUp: 67, seSummary: '2/3',
      vip: [{ vipID: '0', ipAddress: '19.1.1.252', subnet: '19.1.1.0/24', floatingIP: '10.10.0.5', numSEsAssigned: 3, numSEsRequested: 3 }],
      serviceEngines: [
        { name: 'seg-a', primary: true, connected: true, cloudProgrammingDone: true },
        { name: 'seg-b', primary: false, connected: true, cloudProgrammingDone: true },
        { name: 'seg-c', primary: false, connected: false, cloudProgrammingDone: false },
      ],
      autoscale: { currentMetric: 1450, desiredSEs: 3, reason: 'ScaledUp', lastScaleTime: '2026-12-02T10:00:00Z' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'OperUp', message: 'up', lastTransitionTime: '2026-12-02T10:00:00Z' }],
    },
  };
}

const pool: Pool = {
  apiVersion, kind: 'Pool', metadata: { name: 'vs2-pool', namespace: 'demo' },
  spec: { cloudRef: 'jvnc2', lbAlgorithm: 'RoundRobin', servers: [{ ip: '20.0.0.3', port: 80 }, { ip: '20.0.0.4', port: 80, enabled: false }] },
  status: { servers: [{ ip: '20.0.0.3', port: 80, resolved: true, networkUUID: 'net-1', operStatus: 'DOWN' }, { ip: '20.0.0.4', port: 80, resolved: false, reason: 'no subnet contains 20.0.0.4' }] },
};

const se = (name: string, state: NonNullable<ServiceEngine['status']>['state'], ip: string, fault?: string): ServiceEngine => ({
  apiVersion, kind: 'ServiceEngine', metadata: { name, namespace: 'demo' }, spec: { cloudRef: 'jvnc2', seGroupRef: 'default' },
  status: { state, managementIP: ip, ...(fault !== undefined ? { fault } : {}) },
});

describe('status view', () => {
  it('shows oper state, SEs up, the VIP, each SE, the pool members and the autoscaler', () => {
    const text = renderText(summarize(vs2(), pool, [se('seg-a', 'ACTIVE', '10.0.0.3'), se('seg-b', 'ACTIVE', '10.0.0.4'), se('seg-c', 'ERROR', '10.0.0.5', 'No valid host was found')]));
    const lines = text.split('\n');
    assert.equal(lines[0], 'demo/vs2: OPER_UP, 67% SEs up (2/3), Ready=True');
    assert.equal(lines[1], '  VIP 0: 19.1.1.252 in 19.1.1.0/24, floating 10.10.0.5, on 3/3 SEs');
    assert.equal(lines[2], '  services: 80/TCP, 8000-8010/TCP+SSL');
    assert.match(text, /^ {4}NAME +ROLE +CONNECTED +PROGRAMMED +STATE +MGMT-IP$/m);
    assert.match(text, /^ {4}seg-a +primary +yes +yes +ACTIVE +10\.0\.0\.3$/m);
    assert.match(text, /^ {4}seg-b +active +yes +yes +ACTIVE +10\.0\.0\.4$/m, 'with ECMP the others are active, not standby');
    assert.match(text, /^ {4}seg-c +active +no +no +ERROR +10\.0\.0\.5$/m);
    assert.match(text, /^ {4}seg-c: No valid host was found$/m);
    assert.match(text, /^ {2}Pool vs2-pool \(RoundRobin\): 2 member\(s\)$/m);
    assert.match(text, /^ {4}SERVER +ENABLED +RESOLVED +HEALTH +NETWORK$/m);
    assert.match(text, /^ {4}20\.0\.0\.3:80 +yes +yes +DOWN +net-1$/m);
    assert.match(text, /^ {4}20\.0\.0\.4:80 +no +no +- +no subnet contains 20\.0\.0\.4$/m, 'no health written (SE API off, or not yet): -');
    assert.equal(lines.at(-1), '  autoscale: ConnectionsPerSE 1450 / target 1000 → 3 SEs (ScaledUp), last scaled 2026-12-02T10:00:00Z');
  });

  it('a VS not reconciled yet, without ECMP, its Pool missing', () => {
    const vs = vs2();
    delete vs.status;
    vs.spec.scaleout = { ecmp: false, minSEs: 1, maxSEs: 2 };
    const v = summarize(vs, undefined, []);
    assert.equal(v.operState, 'OPER_UNKNOWN');
    assert.equal(v.autoscale, undefined);
    assert.equal(renderText(v), [
      'demo/vs2: OPER_UNKNOWN, 0% SEs up (0/0)', '  services: 80/TCP, 8000-8010/TCP+SSL', '  Service Engines: none yet', '  Pool vs2-pool: not found',
    ].join('\n'));
  });

  it('without ECMP the non-primary SEs are standbys; the reasons are listed', () => {
    const vs = vs2();
    vs.spec.scaleout = { ecmp: false, minSEs: 2, maxSEs: 2 };
    vs.status!.operStatus = { state: 'OPER_RESOURCES', reason: ['no Service Engine capacity: the group is at maxSEs'] };
    const v = summarize(vs, pool, []);
    assert.deepEqual(v.serviceEngines.map((s) => s.role), ['primary', 'standby', 'standby']);
    assert.match(renderText(v), /^ {2}reason: no Service Engine capacity: the group is at maxSEs$/m);
  });
});

describe('status flags', () => {
  it('parses a name, a namespace, output, watch, kubeconfig and context', () => {
    assert.deepEqual(parseStatusArgs(['vs2', '-n', 'demo', '-o', 'json', '--watch', '--interval=0.5', '--kubeconfig', 'k', '--context=c']), {
      name: 'vs2', namespace: 'demo', allNamespaces: false, output: 'json', watch: true, intervalSeconds: 0.5, kubeconfig: 'k', context: 'c', help: false,
    });
    assert.equal(parseStatusArgs(['-A']).allNamespaces, true);
  });
  for (const [argv, message] of [
    [['-o', 'yaml'], /--output must be text or json/],
    [['a', 'b'], /one virtual service at most/],
    [['-A', '-n', 'x'], /exclude each other/],
    [['vs2', '-A'], /needs a namespace/],
    [['--interval', '0'], /between 0.2 and 3600/],
    [['-n'], /needs a value/],
    [['--bogus'], /unknown flag '--bogus'/],
  ] as const) {
    it(`refuses ${argv.join(' ')}`, () => assert.throws(() => parseStatusArgs(argv), (e: unknown) => e instanceof StatusUsageError && message.test(e.message)));
  }
});
