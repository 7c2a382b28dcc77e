// Member state changes reach the operator without waiting out the heartbeat period: HAProxy's
// checks are sampled (`show stat` on the local stats socket, cheap) a few times a second and a
// change of any member's status sends the heartbeat at once. The operator's time to show a server
// DOWN is then HAProxy's detection (interval × retries) plus one round trip, not plus up to one
// heartbeat period. A flapping member costs at most one heartbeat per sample interval.
import { setTimeout as sleep } from 'node:timers/promises';
import type { VipReport } from '../seapi/protocol.js';

export const MEMBER_SAMPLE_MS = 250;

/** What a member change is judged on: every VIP's members and their statuses, order-free. */
export function memberDigest(vips: readonly VipReport[]): string {
  return vips.flatMap((v) => v.members.map((m) => `${v.id}|${m.id}=${m.status}`)).sort().join('\n');
}

export interface MemberWatchOptions {
  /** The current digest, or undefined when HAProxy cannot be asked (nothing is judged then). */
  sample: () => Promise<string | undefined>;
  onChange: () => void;
  intervalMs?: number;
  stopped: () => boolean;
}

/** Runs until stopped(); never throws (a failed sample is skipped). */
export async function watchMembers(o: MemberWatchOptions): Promise<void> {
  let last: string | undefined;
  while (!o.stopped()) {
    await sleep(o.intervalMs ?? MEMBER_SAMPLE_MS);
    const now = await o.sample().catch(() => undefined);
    if (now === undefined || o.stopped()) continue;
    if (last !== undefined && now !== last) o.onChange();
    last = now;
  }
}
