// Compiles the CRD schemas into ajv validators. A structural schema prunes (or, with kubectl's
// default fieldValidation=Strict, rejects) unknown fields; ajv says the same with
// additionalProperties: false, added here to every object that lists its properties.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { assertMirrored } from './cel.js';
import { schemaOf, walkSchema, type JSONSchemaProps } from './crds.js';
import { fieldError, type FieldError } from './errors.js';
import { kindNames, type KindName } from './kinds.js';

// ajv-formats is CommonJS with a default export; under NodeNext the callable sits on .default.
type FormatsPlugin = (ajv: Ajv, formats?: string[]) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ??
  addFormatsModule) as unknown as FormatsPlugin;

/** A deep copy of a CRD schema in the form ajv checks: closed objects, metadata left open. */
export function toAjvSchema(schema: JSONSchemaProps): JSONSchemaProps {
  const copy = structuredClone(schema);
  walkSchema(copy, (node, path) => {
    const isRootMetadata = path.length === 1 && path[0] === 'metadata';
    if (
      node.type === 'object' &&
      !isRootMetadata &&
      node.additionalProperties === undefined &&
      node['x-kubernetes-preserve-unknown-fields'] !== true
    ) {
      node.additionalProperties = false;
      node.properties ??= {};
    }
  });
  return copy;
}

let ajv: Ajv | undefined;
const compiled = new Map<KindName, ValidateFunction>();

function newAjv(): Ajv {
  // strict off: the schemas carry x-kubernetes-* keywords ajv does not know.
  const instance = new Ajv({ allErrors: true, strict: false, useDefaults: true, coerceTypes: false });
  addFormats(instance, ['date-time']);
  // int32/int64 describe the wire type; kube-apiserver does not range-check them either.
  instance.addFormat('int32', { type: 'number', validate: () => true });
  instance.addFormat('int64', { type: 'number', validate: () => true });
  return instance;
}

/** The ajv validator of a kind (compiled once; also checks every CEL rule has a mirror). */
export function ajvValidator(kind: KindName): ValidateFunction {
  const hit = compiled.get(kind);
  if (hit !== undefined) return hit;
  ajv ??= newAjv();
  const schema = schemaOf(kind);
  walkSchema(schema, (node, path) => assertMirrored(node['x-kubernetes-validations'] ?? [], `${kind} ${path.join('.')}`));
  const fn = ajv.compile(toAjvSchema(schema));
  compiled.set(kind, fn);
  return fn;
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
export function toFieldErrors(errors: readonly ErrorObject[], data: unknown): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
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
