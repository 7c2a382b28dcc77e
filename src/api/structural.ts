// The form of a CRD schema ajv checks, shared by the validator generator (scripts/gen-types.ts)
// and the runtime: kept apart from src/api/schema.ts so generation never needs the generated file.
import { walkSchema, type JSONSchemaProps } from './crds.js';

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

/** RFC 3339 date-time, as metav1.Time serialises (the only string format our schemas use). */
export const dateTimePattern =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
