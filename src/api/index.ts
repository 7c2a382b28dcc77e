// The API of contrail-lb-operator (group lb.contrail-operator.io, version v1alpha1), as the
// controllers, the runtime and the CLI use it. Everything here derives from crds/*.yaml.
export * from './kinds.js';
export type * from './types.gen.js';
export {
  type Condition,
  type ConditionStatus,
  type NewCondition,
  findCondition,
  formatTime,
  isFalse,
  isTrue,
  isTrueFor,
  removeStatusCondition,
  setStatusCondition,
} from './conditions.js';
export { type FieldError, type FieldPath, formatPath } from './errors.js';
export { type ValidationResult, type ValidateOptions, validateObject, withDefaults, listRules } from './validate.js';
export { loadCRDs, crdDirectory, schemaOf, type CRD, type JSONSchemaProps } from './crds.js';

import type { KindName } from './kinds.js';
import type { KindTypes } from './types.gen.js';
import { validateObject } from './validate.js';

/** True when obj is a valid object of the given kind (schema, metadata, list types, CEL rules). */
export function isValid<K extends KindName>(kind: K, obj: unknown): obj is KindTypes[K] {
  const result = validateObject(obj);
  return result.kind?.kind === kind && result.errors.length === 0;
}
