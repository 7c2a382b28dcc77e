// Reads the CustomResourceDefinitions in crds/, the single source of truth for our API schema.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsYaml from 'js-yaml';
import { kindNames, kinds, type KindName } from './kinds.js';

/** The subset of JSONSchemaProps (apiextensions.k8s.io/v1) our CRDs use. */
export interface JSONSchemaProps {
  type?: string;
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  additionalProperties?: boolean | JSONSchemaProps;
  'x-kubernetes-validations'?: ValidationRule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  [extension: string]: unknown;
}

export interface ValidationRule {
  rule: string;
  message?: string;
  fieldPath?: string;
  reason?: string;
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
}

export interface CRD {
  apiVersion: string;
  kind: 'CustomResourceDefinition';
  metadata: { name: string };
  spec: {
    group: string;
    scope: 'Cluster' | 'Namespaced';
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[]; categories: string[] };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources?: { status?: object; scale?: { specReplicasPath: string; statusReplicasPath?: string; labelSelectorPath?: string } };
      additionalPrinterColumns?: PrinterColumn[];
      schema: { openAPIV3Schema: JSONSchemaProps };
    }[];
  };
}

/** The crds/ directory: found by walking up from this module (works from src/ and from dist/). */
export function crdDirectory(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'crds');
    if (existsSync(join(candidate, kinds.Cloud.file))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the crds/ directory of contrail-lb-operator');
    dir = parent;
  }
}

let cache: Record<KindName, CRD> | undefined;

/** Every CRD, parsed once per process. */
export function loadCRDs(): Record<KindName, CRD> {
  if (cache !== undefined) return cache;
  const dir = crdDirectory();
  const out = {} as Record<KindName, CRD>;
  for (const name of kindNames) {
    // js-yaml: several times faster than `yaml` on a cold process, and `validate` starts cold.
    out[name] = jsYaml.load(readFileSync(join(dir, kinds[name].file), 'utf8')) as CRD;
  }
  cache = out;
  return out;
}

/** The openAPIV3Schema of a kind's (only) version. */
export function schemaOf(kind: KindName): JSONSchemaProps {
  const version = loadCRDs()[kind].spec.versions[0];
  if (version === undefined) throw new Error(`CRD for ${kind} has no version`);
  return version.schema.openAPIV3Schema;
}

/** Calls visit for every schema node, with its property path (array items as '[]'). */
export function walkSchema(
  schema: JSONSchemaProps,
  visit: (node: JSONSchemaProps, path: string[]) => void,
  path: string[] = [],
): void {
  visit(schema, path);
  for (const [name, child] of Object.entries(schema.properties ?? {})) walkSchema(child, visit, [...path, name]);
  if (schema.items !== undefined) walkSchema(schema.items, visit, [...path, '[]']);
}
