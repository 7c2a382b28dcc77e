// The orphan sweep's Events on the Cloud it swept (pure): what it deleted (OrphanDeleted) and
// what it could not (OrphanDeleteFailed, with the cloud's error; the next sweep retries), one
// event per sweep and outcome rather than one per object, so a big clean-up cannot crowd out
// the Cloud's other events. Each object is named by kind, id and the owner its tag names.
import type { Owner } from '../../cloud/index.js';

export interface SweepEvent { type: 'Normal' | 'Warning'; reason: 'OrphanDeleted' | 'OrphanDeleteFailed'; note: string }

export interface SweptObject { kind: string; id: string; owner?: Owner | undefined }

const MAX_LISTED = 5;

function describe(o: SweptObject): string {
  const w = o.owner;
  return `${o.kind} ${o.id}${w === undefined ? '' : ` (owner ${w.kind} ${w.namespace === '' ? '' : `${w.namespace}/`}${w.name} ${w.uid})`}`;
}

function listed(items: readonly string[]): string {
  const more = items.length - MAX_LISTED;
  return items.slice(0, MAX_LISTED).join('; ') + (more > 0 ? `; and ${more} more` : '');
}

export function sweepEvents(deleted: readonly SweptObject[], failed: readonly (SweptObject & { error: string })[]): SweepEvent[] {
  const out: SweepEvent[] = [];
  if (deleted.length > 0) {
    out.push({ type: 'Normal', reason: 'OrphanDeleted', note: `deleted ${deleted.length} orphaned cloud object(s) whose owner is gone: ${listed(deleted.map(describe))}` });
  }
  if (failed.length > 0) {
    out.push({ type: 'Warning', reason: 'OrphanDeleteFailed', note: `could not delete ${failed.length} orphaned cloud object(s), the next sweep retries: ${listed(failed.map((f) => `${describe(f)}: ${f.error}`))}` });
  }
  return out;
}
