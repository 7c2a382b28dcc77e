// The status writer: changes status through the /status subresource only when it differs
// (deep compare), so a no-op reconcile writes nothing; on 409 it starts again from a fresh read.
// Only a merge patch of the status diff plus the resourceVersion precondition is sent: never spec.
import { isDeepStrictEqual } from 'node:util';
import { isConflict, isNotFound, type KubeClient } from './kube.js';
import { objectPath, type KubeObject, type ObjectRef, type ResourceType } from './objects.js';
import { mergePatch } from './patch.js';

export interface StatusUpdate<T extends KubeObject> {
  /** Mutates the status of the given copy (conditions, observedGeneration, …). */
  mutate: (obj: T) => void;
  /** Start from this object (e.g. the cached one) instead of reading it first. */
  current?: T;
  signal?: AbortSignal;
  maxConflicts?: number;
}

export interface StatusResult<T> {
  changed: boolean;
  /** The object after the write (or as read when nothing changed); undefined if it is gone. */
  obj: T | undefined;
}

export async function updateStatus<T extends KubeObject>(
  client: KubeClient,
  rt: ResourceType,
  ref: ObjectRef,
  u: StatusUpdate<T>,
): Promise<StatusResult<T>> {
  const path = objectPath(rt, ref);
  let current: T | undefined = u.current;
  // Generous: a burst of spec writes (kubectl apply loops, GitOps syncs) can outlast a few retries.
  const maxConflicts = u.maxConflicts ?? 16;
  for (let attempt = 0; ; attempt++) {
    try {
      current ??= await client.get<T>(path, { signal: u.signal });
      const next = structuredClone(current);
      u.mutate(next);
      if (isDeepStrictEqual(current.status, next.status)) return { changed: false, obj: current };
      const patch = {
        metadata: { resourceVersion: current.metadata.resourceVersion },
        status: mergePatch(current.status ?? {}, next.status ?? {}) ?? {},
      };
      const obj = await client.patch<T>(objectPath(rt, ref, 'status'), patch, 'merge', { signal: u.signal });
      return { changed: true, obj };
    } catch (e) {
      if (isNotFound(e)) return { changed: false, obj: undefined };
      if (!isConflict(e) || attempt >= maxConflicts) throw e;
      current = undefined; // read again and re-apply the mutation, after a short jittered pause
      await new Promise((r) => setTimeout(r, Math.min(500, 10 * 2 ** attempt) * (0.5 + Math.random())));
    }
  }
}
