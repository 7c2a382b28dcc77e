// Field errors worded the way kube-apiserver words them (k8s.io/apimachinery field.Error), so that
// offline validation and the server's rejection read alike and tests can match one substring in both.
export type FieldPath = readonly (string | number)[];

export type FieldErrorType =
  | 'Required'
  | 'Invalid'
  | 'TypeInvalid'
  | 'NotSupported'
  | 'Duplicate'
  | 'TooLong'
  | 'TooMany'
  | 'UnknownField'
  | 'Forbidden';

export interface FieldError {
  type: FieldErrorType;
  path: FieldPath;
  /** Everything after "path: ", e.g. `Invalid value: "x": should match '^a$'`. */
  message: string;
}

/** spec.vip[0].ipAddress */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** How field.Invalid shows a value: strings quoted, numbers and booleans bare, the rest by type. */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  return Array.isArray(v) ? '"array"' : '"object"';
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export const fieldError = {
  required: (path: FieldPath, detail = ''): FieldError => ({
    type: 'Required',
    path,
    message: detail === '' ? 'Required value' : `Required value: ${detail}`,
  }),
  invalid: (path: FieldPath, value: unknown, detail: string): FieldError => ({
    type: 'Invalid',
    path,
    message: `Invalid value: ${showValue(value)}: ${detail}`,
  }),
  // Like the server, name the type that was found rather than the value.
  typeInvalid: (path: FieldPath, value: unknown, type: string): FieldError => ({
    type: 'TypeInvalid',
    path,
    message: `Invalid value: "${jsonType(value)}": must be of type ${type}`,
  }),
  notSupported: (path: FieldPath, value: unknown, allowed: readonly unknown[]): FieldError => ({
    type: 'NotSupported',
    path,
    message: `Unsupported value: ${showValue(value)}: supported values: ${allowed.map((a) => JSON.stringify(a)).join(', ')}`,
  }),
  duplicate: (path: FieldPath, value: unknown): FieldError => ({
    type: 'Duplicate',
    path,
    message: `Duplicate value: ${JSON.stringify(value)}`,
  }),
  tooLong: (path: FieldPath, max: number): FieldError => ({
    type: 'TooLong',
    path,
    message: `Too long: may not be more than ${max} bytes`,
  }),
  tooMany: (path: FieldPath, actual: number, max: number): FieldError => ({
    type: 'TooMany',
    path,
    message: `Too many: ${actual}: must have at most ${max} items`,
  }),
  // What kubectl prints for a strict-decoding failure (fieldValidation=Strict, kubectl's default).
  unknownField: (path: FieldPath): FieldError => ({
    type: 'UnknownField',
    path,
    message: `unknown field "${formatPath(path)}"`,
  }),
  forbidden: (path: FieldPath, detail: string): FieldError => ({ type: 'Forbidden', path, message: `Forbidden: ${detail}` }),
};
