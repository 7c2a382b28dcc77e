// Finalizers are added and removed with a JSON Patch that first `test`s the list it was computed
// from: the API server does not deduplicate finalizers, and a blind write could drop one that
// another controller added meanwhile. On a failed test (422) or conflict (409), read and retry.
import { isNotFound, isStatus, type KubeClient } from './kube.js';
import { objectPath, type KubeObject, type ObjectRef, type ResourceType } from './objects.js';

export type JsonPatchOp =
  | { op: 'test'; path: string; value: unknown }
  | { op: 'add'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** The patch that adds finalizer to the given list; undefined if already there. Pure. */
export function addFinalizerPatch(current: string[] | undefined, finalizer: string): JsonPatchOp[] | undefined {
  if (current?.includes(finalizer)) return undefined;
  if (!current || current.length === 0) {
    // A missing list tests as null; an empty one must be tested as [].
    return [
      { op: 'test', path: '/metadata/finalizers', value: current ?? null },
      { op: 'add', path: '/metadata/finalizers', value: [finalizer] },
    ];
  }
  return [
    { op: 'test', path: '/metadata/finalizers', value: current },
    { op: 'add', path: '/metadata/finalizers/-', value: finalizer },
  ];
}

/** The patch that removes finalizer; undefined if absent. Pure. */
export function removeFinalizerPatch(current: string[] | undefined, finalizer: string): JsonPatchOp[] | undefined {
  const i = current?.indexOf(finalizer) ?? -1;
  if (i < 0) return undefined;
  return [
    { op: 'test', path: '/metadata/finalizers', value: current },
    { op: 'remove', path: `/metadata/finalizers/${i}` },
  ];
}

async function change<T extends KubeObject>(
  client: KubeClient,
  rt: ResourceType,
  ref: ObjectRef | T,
  plan: (current: string[] | undefined) => JsonPatchOp[] | undefined,
  signal?: AbortSignal,
): Promise<T | undefined> {
  const r: ObjectRef = 'metadata' in ref ? ref.metadata : ref;
  const path = objectPath(rt, r);
  let obj: T | undefined = 'metadata' in ref ? ref : undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      obj ??= await client.get<T>(path, { signal });
      const ops = plan(obj.metadata.finalizers);
      if (!ops) return obj;
      return await client.patch<T>(path, ops, 'json', { signal });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      if (!isStatus(e, 409, 422) || attempt >= 10) throw e;
      obj = undefined;
    }
  }
}

/** Ensures the finalizer is present; returns the updated object (undefined if it is gone). */
export function addFinalizer<T extends KubeObject>(
  client: KubeClient,
  rt: ResourceType,
  obj: ObjectRef | T,
  finalizer: string,
  signal?: AbortSignal,
): Promise<T | undefined> {
  return change(client, rt, obj, (cur) => addFinalizerPatch(cur, finalizer), signal);
}

/** Ensures the finalizer is absent; returns the updated object (undefined if it is gone). */
export function removeFinalizer<T extends KubeObject>(
  client: KubeClient,
  rt: ResourceType,
  obj: ObjectRef | T,
  finalizer: string,
  signal?: AbortSignal,
): Promise<T | undefined> {
  return change(client, rt, obj, (cur) => removeFinalizerPatch(cur, finalizer), signal);
}
