// The structural-schema check of our kinds, as ajv validators generated from the CRD schemas
// (src/api/validators.gen.ts, written by `npm run gen` and checked for drift by a unit test):
// precompiled, so `validate` neither loads ajv's compiler nor compiles on every start. A
// structural schema prunes (or, with kubectl's default fieldValidation=Strict, rejects) unknown
// fields; ajv says the same with additionalProperties: false, added to every object that lists
// its properties.
import type { ErrorObject } from 'ajv';
import { assertMirrored } from './cel.js';
import { schemaOf, walkSchema } from './crds.js';
import { fieldError, type FieldError } from './errors.js';
import { kindNames, type KindName } from './kinds.js';
import * as precompiled from './validators.gen.js';

/** A precompiled validator: true when valid; fills in schema defaults; leaves errors on .errors. */
export interface SchemaValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

const validators = precompiled as unknown as Record<KindName, SchemaValidator>;
const checkedRules = new Set<KindName>();

/** The schema validator of a kind (and, once, the check that every CEL rule has a mirror). */
export function ajvValidator(kind: KindName): SchemaValidator {
  if (!checkedRules.has(kind)) {
    walkSchema(schemaOf(kind), (node, path) => assertMirrored(node['x-kubernetes-validations'] ?? [], `${kind} ${path.join('.')}`));
    checkedRules.add(kind);
  }
  return validators[kind];
}

export function compileAll(): void {
  for (const k of kindNames) ajvValidator(k);
}

function pointerToPath(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let node: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      out.push(Number(seg));
      node = node[Number(seg)];
    } else {
      out.push(seg);
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let node: unknown = data;
  for (const seg of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[seg];
  }
  return node;
}

/** ajv's errors in kube-apiserver's words (see errors.ts). */
// kube-openapi checks a string's maxLength, then minLength, then pattern, and stops at the first
// failure; ajv (allErrors) reports all of them. Keep only the one the server would report.
const stringChecks = ['maxLength', 'minLength', 'pattern'];

function serverOrder(errors: readonly ErrorObject[]): ErrorObject[] {
  const first = new Map<string, number>();
  for (const e of errors) {
    const rank = stringChecks.indexOf(e.keyword);
    if (rank >= 0) first.set(e.instancePath, Math.min(first.get(e.instancePath) ?? rank, rank));
  }
  return errors.filter((e) => {
    const rank = stringChecks.indexOf(e.keyword);
    return rank < 0 || first.get(e.instancePath) === rank;
  });
}

export function toFieldErrors(errors: readonly ErrorObject[], data: unknown): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of serverOrder(errors)) {
    const path = pointerToPath(e.instancePath, data);
    const value = valueAt(data, path);
    const p = e.params as Record<string, unknown>;
    let fe: FieldError;
    switch (e.keyword) {
      case 'required':
        fe = fieldError.required([...path, String(p.missingProperty)]);
        break;
      case 'additionalProperties':
        fe = fieldError.unknownField([...path, String(p.additionalProperty)]);
        break;
      case 'type':
        fe = fieldError.typeInvalid(path, value, String(p.type));
        break;
      case 'enum':
        fe = fieldError.notSupported(path, value, (p.allowedValues as unknown[] | undefined) ?? []);
        break;
      case 'pattern':
        fe = fieldError.invalid(path, value, `should match '${String(p.pattern)}'`);
        break;
      case 'minimum':
        fe = fieldError.invalid(path, value, `should be greater than or equal to ${String(p.limit)}`);
        break;
      case 'maximum':
        fe = fieldError.invalid(path, value, `should be less than or equal to ${String(p.limit)}`);
        break;
      case 'minLength':
        fe = fieldError.invalid(path, value, `should be at least ${String(p.limit)} chars long`);
        break;
      case 'maxLength':
        fe = fieldError.tooLong(path, Number(p.limit));
        break;
      case 'minItems':
        fe = fieldError.invalid(path, Array.isArray(value) ? value.length : value, `should have at least ${String(p.limit)} items`);
        break;
      case 'maxItems':
        fe = fieldError.tooMany(path, Array.isArray(value) ? value.length : 0, Number(p.limit));
        break;
      case 'format':
        fe = fieldError.invalid(path, value, `must be of type ${String(p.format)}`);
        break;
      default:
        fe = fieldError.invalid(path, value, e.message ?? e.keyword);
    }
    const key = `${fe.type} ${JSON.stringify(fe.path)} ${fe.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(fe);
    }
  }
  return out;
}
