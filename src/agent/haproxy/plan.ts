// How to get from the running config to the next one: nothing, Runtime API commands, or a reload.
// Pure. Member weight and enable/disable and a VIP's drain switch need no reload when everything
// else is unchanged; any other difference (a VIP, a listener, a member added or removed, the
// algorithm, a monitor, TLS) is a reload.
import { drainCommand, type Rendered } from './render.js';

export type ApplyPlan =
  | { kind: 'none' }
  | { kind: 'runtime'; commands: string[] }
  | { kind: 'reload' };

export function planApply(running: Rendered | undefined, next: Rendered): ApplyPlan {
  if (running === undefined) return { kind: 'reload' };
  if (running.structure !== next.structure) return { kind: 'reload' };
  const before = new Map(running.vips.flatMap((v) => v.servers).map((s) => [`${s.backend}/${s.server}`, s]));
  const commands: string[] = [];
  for (const s of next.vips.flatMap((v) => v.servers)) {
    const key = `${s.backend}/${s.server}`;
    const was = before.get(key);
    if (was === undefined) return { kind: 'reload' };
    if (was.weight !== s.weight) commands.push(`set server ${key} weight ${s.weight}`);
    if (was.enabled !== s.enabled) commands.push(`set server ${key} state ${s.enabled ? 'ready' : 'maint'}`);
  }
  const wasDraining = new Map(running.vips.map((v) => [v.drainVar, v.draining]));
  for (const v of next.vips) if (wasDraining.get(v.drainVar) !== v.draining) commands.push(drainCommand(v));
  if (commands.length === 0) return running.text === next.text ? { kind: 'none' } : { kind: 'runtime', commands: [] };
  return { kind: 'runtime', commands };
}
