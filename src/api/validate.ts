// Validates one of our objects the way kube-apiserver does on create (and, given the old object,
// on update): defaults, then the structural schema (ajv), object metadata, list-type uniqueness,
// and - when nothing blocks them - the CEL rules (TypeScript mirrors, see cel.ts).
import { checkRules } from './cel.js';
import { schemaOf, walkSchema, type JSONSchemaProps } from './crds.js';
import { fieldError, type FieldError, type FieldPath } from './errors.js';
import { apiVersion, group, isKindName, kinds, type KindInfo } from './kinds.js';
import { ajvValidator, toFieldErrors } from './schema.js';

export interface ValidationResult {
  /** Our kind, when apiVersion and kind name one of ours. */
  kind?: KindInfo;
  errors: FieldError[];
  /** A copy of the object with schema defaults applied (as the server would store it). */
  defaulted?: Record<string, unknown>;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const subdomainMessage =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const labelMessage =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";

// ObjectMeta fields a manifest may carry; anything else is an unknown field to a strict decoder.
const objectMetaFields = new Set([
  'name', 'generateName', 'namespace', 'labels', 'annotations', 'finalizers', 'ownerReferences', 'uid',
  'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds',
  'managedFields', 'selfLink',
]);

export function validateMetadata(meta: unknown, kind: KindInfo): FieldError[] {
  const out: FieldError[] = [];
  if (meta === undefined) return [fieldError.required(['metadata', 'name'], 'name or generateName is required')];
  if (!isObj(meta)) return [fieldError.typeInvalid(['metadata'], meta, 'object')];
  for (const key of Object.keys(meta)) {
    if (!objectMetaFields.has(key)) out.push(fieldError.unknownField(['metadata', key]));
  }
  const { name, generateName, namespace } = meta;
  if (name === undefined && generateName === undefined) {
    out.push(fieldError.required(['metadata', 'name'], 'name or generateName is required'));
  } else if (name !== undefined) {
    if (typeof name !== 'string') out.push(fieldError.typeInvalid(['metadata', 'name'], name, 'string'));
    else if (name.length > 253 || !dns1123Subdomain.test(name)) out.push(fieldError.invalid(['metadata', 'name'], name, subdomainMessage));
  }
  if (namespace !== undefined) {
    if (typeof namespace !== 'string') out.push(fieldError.typeInvalid(['metadata', 'namespace'], namespace, 'string'));
    // A cluster-scoped object's namespace is cleared by the server, not refused.
    else if (!kind.namespaced) return out;
    else if (namespace.length > 63 || !dns1123Label.test(namespace)) out.push(fieldError.invalid(['metadata', 'namespace'], namespace, labelMessage));
  }
  for (const mapField of ['labels', 'annotations'] as const) {
    const m = meta[mapField];
    if (m === undefined || m === null) continue;
    if (!isObj(m)) {
      out.push(fieldError.typeInvalid(['metadata', mapField], m, 'object'));
      continue;
    }
    for (const [k, v] of Object.entries(m)) {
      if (typeof v !== 'string') out.push(fieldError.typeInvalid(['metadata', mapField, k], v, 'string'));
    }
  }
  return out;
}

/** x-kubernetes-list-type map/set: duplicates are rejected, reported at the later item. */
function checkListTypes(schema: JSONSchemaProps, value: unknown, path: FieldPath, out: FieldError[]): void {
  if (isObj(value) && schema.properties !== undefined) {
    for (const [name, child] of Object.entries(schema.properties)) checkListTypes(child, value[name], [...path, name], out);
    return;
  }
  if (!Array.isArray(value) || schema.items === undefined) return;
  const listType = schema['x-kubernetes-list-type'];
  const keys = schema['x-kubernetes-list-map-keys'] ?? [];
  const seen = new Set<string>();
  value.forEach((item, i) => {
    let identity: unknown;
    if (listType === 'set') identity = item;
    else if (listType === 'map' && isObj(item)) identity = Object.fromEntries(keys.map((k) => [k, item[k]]));
    if (identity !== undefined) {
      const id = JSON.stringify(identity);
      if (seen.has(id)) out.push(fieldError.duplicate([...path, i], identity));
      seen.add(id);
    }
    checkListTypes(schema.items as JSONSchemaProps, item, [...path, i], out);
  });
}

// Errors after which the apiserver does not evaluate CEL rules (their inputs would be ill-typed).
const blocking = new Set(['TypeInvalid', 'NotSupported']);

/**
 * Validates obj as kube-apiserver would on create, or on update when oldObj is given (then CEL
 * transition rules such as immutability run too). Objects that are not ours get an error saying so.
 */
export interface ValidateOptions {
  /** The stored object, for an update: CEL transition rules (immutability) run against it. */
  oldObject?: unknown;
  /**
   * Check status for unknown fields only: on create and on updates of the main resource
   * kube-apiserver drops status (the status subresource owns it), so its values are never
   * rejected, but strict decoding still refuses a field the schema does not know. `validate` sets this.
   */
  ignoreStatus?: boolean;
}

export function validateObject(input: unknown, opts: ValidateOptions = {}): ValidationResult {
  const oldObj = opts.oldObject;
  if (!isObj(input)) return { errors: [fieldError.typeInvalid([], input, 'object')] };
  const obj = input;
  let errors: FieldError[] = [];
  if (typeof obj.apiVersion !== 'string' || obj.apiVersion === '') errors.push(fieldError.required(['apiVersion']));
  if (typeof obj.kind !== 'string' || obj.kind === '') errors.push(fieldError.required(['kind']));
  if (errors.length > 0) return { errors };
  if (obj.apiVersion !== apiVersion || !isKindName(obj.kind)) {
    const what = String(obj.apiVersion).startsWith(`${group}/`) ? 'no matches for' : 'not a contrail-lb kind:';
    return { errors: [fieldError.invalid(['kind'], obj.kind, `${what} kind "${String(obj.kind)}" in version "${String(obj.apiVersion)}"`)] };
  }
  const kind = kinds[obj.kind];
  const defaulted = structuredClone(obj);
  const validate = ajvValidator(kind.kind);
  if (!validate(defaulted)) errors.push(...toFieldErrors(validate.errors ?? [], defaulted));
  errors.push(...validateMetadata(obj.metadata, kind));
  const schema = schemaOf(kind.kind);
  checkListTypes(schema, defaulted, [], errors);
  if (opts.ignoreStatus === true) errors = errors.filter((e) => e.path[0] !== 'status' || e.type === 'UnknownField');
  if (!errors.some((e) => blocking.has(e.type))) {
    let oldDefaulted: unknown;
    if (isObj(oldObj)) {
      oldDefaulted = structuredClone(oldObj);
      validate(oldDefaulted);
    }
    checkRules(schema, defaulted, oldDefaulted, [], errors);
  }
  return { kind, errors, defaulted };
}

/** Applies the schema defaults of obj's kind to a copy (what the server stores on create). */
export function withDefaults<T extends { apiVersion?: string; kind?: string }>(obj: T): T {
  if (obj.apiVersion !== apiVersion || !isKindName(obj.kind)) return obj;
  const copy = structuredClone(obj);
  ajvValidator(obj.kind)(copy);
  return copy;
}

/** Every CEL rule of every kind with where it sits, for tests and docs. */
export function listRules(): { kind: string; path: string; rule: string; message?: string }[] {
  const out: { kind: string; path: string; rule: string; message?: string }[] = [];
  for (const k of Object.values(kinds)) {
    walkSchema(schemaOf(k.kind), (node, path) => {
      for (const r of node['x-kubernetes-validations'] ?? []) {
        out.push({ kind: k.kind, path: path.join('.'), rule: r.rule, ...(r.message === undefined ? {} : { message: r.message }) });
      }
    });
  }
  return out;
}
