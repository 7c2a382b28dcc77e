import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findCondition, type Condition } from '../../api/index.js';
import { kstatusVerdict } from '../model/index.js';
import { NOT_CHECKED_NOTE, readyFromResolved, withReadyFromResolved } from './ready.js';
import { resolvedCondition } from './resolve.js';

const now = new Date('2026-12-03T09:00:00Z');
const ok = { ip: '20.0.0.3', port: 80, resolved: true, networkUUID: 'n', subnetUUID: 's', subnetCIDR: '20.0.0.0/24' } as const;
const bad = { ip: '30.0.0.3', port: 80, resolved: false, reason: 'no subnet of the project contains it', failure: 'NoSubnet' } as const;

describe('Pool Ready without the SE API', () => {
  it('mirrors Resolved: status, reason, generation, and says members are not checked', () => {
    const r = readyFromResolved(resolvedCondition([ok, bad], 3));
    assert.deepEqual(r && { ...r, message: undefined }, { type: 'Ready', status: 'False', reason: 'Unresolved', observedGeneration: 3, message: undefined });
    assert.equal(r?.message, `1 of 2 servers resolved; 30.0.0.3: no subnet of the project contains it; ${NOT_CHECKED_NOTE}`);
    assert.equal(readyFromResolved(resolvedCondition([ok], 3))?.status, 'True');
    assert.equal(readyFromResolved(undefined), undefined);
  });

  it('the hook writes Ready after the mutation, follows a later Resolved, and leaves a status without Resolved alone', () => {
    const pool: { status?: { conditions?: Condition[] } } = {};
    const waiting = { type: 'Resolved', status: 'False', reason: 'WaitingForCloud', message: 'waiting for Cloud jvnc2', observedGeneration: 1 } as const;
    withReadyFromResolved<typeof pool>((p) => { p.status = { conditions: [{ ...waiting, lastTransitionTime: '2026-12-03T08:00:00Z' }] }; }, () => now)(pool);
    assert.equal(findCondition(pool.status?.conditions, 'Ready')?.reason, 'WaitingForCloud');
    assert.equal(kstatusVerdict('Pool', pool.status?.conditions).state, 'InProgress');
    withReadyFromResolved<typeof pool>((p) => {
      const rest = (p.status?.conditions ?? []).filter((c) => c.type !== 'Resolved');
      p.status = { conditions: [...rest, { ...resolvedCondition([ok], 1), lastTransitionTime: '2026-12-03T09:00:00Z' }] };
    }, () => now)(pool);
    const ready = findCondition(pool.status?.conditions, 'Ready');
    assert.deepEqual([ready?.status, ready?.reason, ready?.lastTransitionTime], ['True', 'Resolved', '2026-12-03T09:00:00Z']);
    assert.equal(kstatusVerdict('Pool', pool.status?.conditions).state, 'Current');
    const empty: { status?: { conditions?: Condition[] } } = { status: { conditions: [] } };
    withReadyFromResolved<typeof empty>(() => undefined, () => now)(empty);
    assert.deepEqual(empty.status?.conditions, []);
  });
});
