// RFC 7386 JSON merge patches computed from two values (pure; arrays are replaced whole).
import { isDeepStrictEqual } from 'node:util';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The merge patch that turns `from` into `to`; undefined when they are equal. */
export function mergePatch(from: unknown, to: unknown): Json | undefined {
  if (isDeepStrictEqual(from, to)) return undefined;
  if (!isObject(from) || !isObject(to)) return (to === undefined ? null : to) as Json;
  const out: Record<string, Json> = {};
  for (const k of Object.keys(from)) if (!(k in to) || to[k] === undefined) out[k] = null;
  for (const [k, v] of Object.entries(to)) {
    if (v === undefined) continue;
    const d = mergePatch(from[k], v);
    if (d !== undefined) out[k] = d;
  }
  return out;
}
