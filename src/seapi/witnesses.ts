// Plain Neutron's data-path signal (docs/se-repair.md): Neutron has no health-check object, so
// while an SE's agent is silent the operator asks other SEs that share a data network with it —
// its witnesses — to probe its data addresses (GET http://<data address>:8404/lbop-health, which
// the silent SE's own HAProxy answers), and reads their results from their next heartbeats.
// The ask rides on the heartbeat ack (HeartbeatAck.probe), so it costs nothing while every agent
// heartbeats and needs no config version. In memory only, like the agent registry: a new leader
// asks again after its grace.
import type { ProbeTarget } from './protocol.js';

/** An ask not refreshed for this long is dropped (the SE controller refreshes it every 3–10 s while the SE is silent). */
export const WITNESS_ASK_TTL_MS = 30_000;

interface Ask {
  targets: ProbeTarget[];
  witnesses: string[];
  /** When this silence's ask began (operator clock): witness reports from heartbeats before it do not count. */
  since: number;
  refreshedAt: number;
}

export class WitnessBoard {
  private readonly asks = new Map<string, Ask>();

  constructor(private readonly ttlMs = WITNESS_ASK_TTL_MS) {}

  /**
   * Asks `witnesses` to probe the silent SE's `addresses` (a refresh keeps `since` while the ask
   * stays the same). Returns when this ask began.
   */
  ask(silent: string, addresses: readonly string[], port: number, witnesses: readonly string[], now: number): number {
    const prev = this.asks.get(silent);
    const targets = [...addresses].sort().map((address) => ({ se: silent, address, port }));
    const ws = [...witnesses].sort();
    const same = prev !== undefined && now - prev.refreshedAt <= this.ttlMs && prev.witnesses.join() === ws.join() && JSON.stringify(prev.targets) === JSON.stringify(targets);
    const since = same ? prev.since : now;
    this.asks.set(silent, { targets, witnesses: ws, since, refreshedAt: now });
    return since;
  }

  /** The SE heartbeats again, or is gone: nobody probes it any more. */
  drop(silent: string): void {
    this.asks.delete(silent);
  }

  /** What the witness is asked to probe now (put in its heartbeat ack). */
  targetsFor(witness: string, now = Date.now()): ProbeTarget[] {
    const out: ProbeTarget[] = [];
    for (const [silent, a] of this.asks) {
      if (now - a.refreshedAt > this.ttlMs) {
        this.asks.delete(silent);
        continue;
      }
      if (a.witnesses.includes(witness)) out.push(...a.targets);
    }
    return out;
  }
}
