// Who this SE is and how to reach the operator: the config drive first (openstack/latest/
// meta_data.json and user_data, as Avi's SEs read them), else the metadata service
// (/openstack/latest/... under a base URL). user_data is the SEBootstrap JSON the SE controller
// wrote; it carries the bootstrap token, so nothing here ever logs it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv, type JSONSchemaType } from 'ajv';
import type { SEBootstrap } from '../seapi/protocol.js';

export interface Identity {
  /** Nova server id (meta_data.json uuid). */
  serverID: string;
  bootstrap: SEBootstrap;
}

export type BootstrapSource = { configDrive: string } | { metadataURL: string };

const DNS = '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$';
const schema: JSONSchemaType<SEBootstrap> = {
  type: 'object',
  additionalProperties: true,
  required: ['kind', 'version', 'serviceEngine', 'controllerURLs', 'caBundle', 'bootstrapToken', 'heartbeatIntervalMs'],
  properties: {
    kind: { type: 'string', const: 'contrail-lb-operator/se-bootstrap' },
    version: { type: 'integer', const: 1 },
    serviceEngine: {
      type: 'object',
      additionalProperties: false,
      required: ['namespace', 'name', 'uid'],
      properties: {
        namespace: { type: 'string', pattern: DNS },
        name: { type: 'string', pattern: DNS },
        uid: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' },
      },
    },
    controllerURLs: { type: 'array', minItems: 1, maxItems: 16, items: { type: 'string', pattern: '^https://[^\\s/]+(/[^\\s]*)?$' } },
    caBundle: { type: 'string', pattern: '^-----BEGIN CERTIFICATE-----', maxLength: 65536 },
    bootstrapToken: { type: 'string', minLength: 16, maxLength: 512, pattern: '^[A-Za-z0-9._~+/=-]+$' },
    heartbeatIntervalMs: { type: 'integer', minimum: 100, maximum: 600_000 },
  },
};
const checkBootstrap = new Ajv({ strict: true }).compile(schema);

export function parseBootstrap(metaData: string, userData: string): Identity {
  let meta: unknown;
  let boot: unknown;
  try {
    meta = JSON.parse(metaData);
  } catch {
    throw new Error('meta_data.json is not JSON');
  }
  try {
    boot = JSON.parse(userData);
  } catch {
    // Never echo user_data: it holds the token.
    throw new Error('user_data is not the SE bootstrap JSON');
  }
  const uuid = (meta as { uuid?: unknown } | null)?.uuid;
  if (typeof uuid !== 'string' || !/^[0-9a-fA-F-]{8,64}$/.test(uuid)) throw new Error('meta_data.json has no server uuid');
  if (!checkBootstrap(boot)) {
    const e = checkBootstrap.errors?.[0];
    throw new Error(`user_data is not a valid SE bootstrap: ${e?.instancePath || '/'} ${e?.message ?? ''}`.trim());
  }
  return { serverID: uuid, bootstrap: boot };
}

export async function readIdentity(source: BootstrapSource, timeoutMs = 10_000): Promise<Identity> {
  if ('configDrive' in source) {
    const dir = join(source.configDrive, 'openstack', 'latest');
    return parseBootstrap(await readFile(join(dir, 'meta_data.json'), 'utf8'), await readFile(join(dir, 'user_data'), 'utf8'));
  }
  const base = source.metadataURL.replace(/\/+$/, '');
  const get = async (path: string): Promise<string> => {
    const res = await fetch(`${base}/openstack/latest/${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`metadata service: GET /openstack/latest/${path} answered ${res.status}`);
    return res.text();
  };
  return parseBootstrap(await get('meta_data.json'), await get('user_data'));
}
