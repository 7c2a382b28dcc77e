// JSON schemas of what agents send: ajv turns the untrusted body into a typed value or a refusal.
// Unknown properties are allowed (the protocol grows by optional fields); known ones must have
// their types, and every string and list is bounded.
import { Ajv, type ErrorObject, type JSONSchemaType } from 'ajv';
import type { EnrollRequest, Heartbeat, RenewRequest } from './protocol.js';

const count = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const id = { type: 'string', minLength: 1, maxLength: 512 } as const;
const serverID = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9-]{0,63}$' } as const;
const csr = { type: 'string', minLength: 1, maxLength: 16_384 } as const;

const heartbeatSchema: JSONSchemaType<Heartbeat> = {
  type: 'object',
  required: ['bootID', 'sequence', 'sentAt', 'agentVersion', 'applied', 'vips', 'se'],
  properties: {
    bootID: { type: 'string', minLength: 1, maxLength: 128 },
    sequence: count,
    sentAt: { type: 'string', maxLength: 64 },
    agentVersion: { type: 'string', maxLength: 128 },
    applied: {
      type: 'object',
      required: ['version', 'hash'],
      properties: {
        version: count,
        hash: { type: 'string', maxLength: 128 },
        rejected: {
          type: 'object', nullable: true, required: ['version', 'error'],
          properties: { version: count, error: { type: 'string', maxLength: 8192 } },
        },
      },
    },
    vips: {
      type: 'array', maxItems: 1024,
      items: {
        type: 'object',
        required: ['id', 'listeners', 'members', 'currentConnections', 'totalConnections', 'bytesIn', 'bytesOut', 'requests', 'errors', 'responseTimeMs'],
        properties: {
          id,
          listeners: {
            type: 'array', maxItems: 64,
            items: { type: 'object', required: ['port', 'up'], properties: { port: { type: 'integer', minimum: 0, maximum: 65535 }, up: { type: 'boolean' } } },
          },
          members: {
            type: 'array', maxItems: 1000,
            items: {
              type: 'object',
              required: ['id', 'status', 'currentConnections', 'totalConnections'],
              properties: {
                id,
                status: { type: 'string', enum: ['UP', 'DOWN', 'NO_MONITOR', 'DISABLED'] },
                reason: { type: 'string', nullable: true, maxLength: 1024 },
                currentConnections: count,
                totalConnections: count,
              },
            },
          },
          currentConnections: count,
          totalConnections: count,
          bytesIn: count,
          bytesOut: count,
          requests: count,
          errors: { type: 'object', required: ['http4xx', 'http5xx', 'connection'], properties: { http4xx: count, http5xx: count, connection: count } },
          responseTimeMs: { type: 'number', minimum: 0 },
        },
      },
    },
    se: { type: 'object', required: ['cpuPercent', 'memoryBytes'], properties: { cpuPercent: { type: 'number', minimum: 0 }, memoryBytes: count } },
    probes: {
      type: 'array', nullable: true, maxItems: 64,
      items: {
        type: 'object', required: ['se', 'address', 'up'],
        properties: { se: id, address: { type: 'string', minLength: 1, maxLength: 64 }, up: { type: 'boolean' }, reason: { type: 'string', nullable: true, maxLength: 256 } },
      },
    },
  },
};

const enrollSchema: JSONSchemaType<EnrollRequest> = {
  type: 'object', required: ['csr', 'serverID'], properties: { csr, serverID },
};
const renewSchema: JSONSchemaType<RenewRequest> = { type: 'object', required: ['csr'], properties: { csr } };

const ajv = new Ajv({ allErrors: false, strict: true });
export const validateHeartbeat = ajv.compile(heartbeatSchema);
export const validateEnroll = ajv.compile(enrollSchema);
export const validateRenew = ajv.compile(renewSchema);

/** The first schema error as one line ("/vips/0/bytesIn must be integer"). */
export function schemaError(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  return e === undefined ? 'does not match the schema' : `${e.instancePath === '' ? 'body' : e.instancePath} ${e.message ?? 'is invalid'}`;
}
