// "Why is nothing carrying this VS?" when the answer is the cloud refusing to boot its SEs
// (Nova quota, NoValidHost, image or flavor gone): a pure step from the group's SEs to a
// Problem, so the VS goes OPER_RESOURCES with the cloud's own message instead of waiting
// forever in OPER_INITIALIZING. It clears by itself once a boot succeeds (sePhase drops the
// fault), and the VS comes up as usual.
import { sePhase, type SEPhaseInputs } from '../model/index.js';
import type { Problem } from './status.js';

export const SE_BOOT_FAILED = 'SEBootFailed';

export interface BootFaultInput {
  /** the SEs of the VS's group */
  ses: readonly (SEPhaseInputs & { metadata: { name: string } })[];
  /** SEs the VS is placed on now */
  assigned: readonly string[];
  /** placements still waiting for booting (or yet-to-boot) SEs */
  waitingForSEs: number;
}

/** OPER_RESOURCES when the VS has no SE and the SEs it waits for fail to boot; else undefined. */
export function bootFaultProblem(i: BootFaultInput): Problem | undefined {
  if (i.assigned.length > 0) return undefined;
  const message = bootFaultNote(i);
  return message === undefined ? undefined : { state: 'OPER_RESOURCES', condition: 'Placed', reason: SE_BOOT_FAILED, message };
}

/**
 * The boot faults of the SEs the VS still waits for, whether or not others carry it already: an
 * up VS short of SEs (a third SE anti-affinity cannot place) says why in its Degraded condition.
 */
export function bootFaultNote(i: Omit<BootFaultInput, 'assigned'>): string | undefined {
  if (i.waitingForSEs === 0) return undefined;
  const failing = i.ses
    .map((se) => ({ name: se.metadata.name, fault: sePhase(se).bootFault }))
    .filter((x): x is { name: string; fault: string } => x.fault !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
  if (failing.length === 0) return undefined;
  // One message per distinct fault: ten SEs over quota say it once, with their names.
  const byFault = new Map<string, string[]>();
  for (const f of failing) byFault.set(f.fault, [...(byFault.get(f.fault) ?? []), f.name]);
  return [...byFault].map(([fault, names]) => `Service Engine ${names.join(', ')} cannot boot: ${fault}`).join('; ');
}
