// The gate between the wire and the renderer: an SEConfig is accepted only if it matches the schema
// exactly (no unknown fields, bounded numbers) and every string that can reach haproxy.cfg is
// allow-listed: addresses are parsed as IPs, paths and status codes match strict patterns, names
// match Kubernetes' own grammar, TLS material is PEM and nothing else. No string that survives this
// can hold whitespace, a newline, '#', a quote, '$' or '\' — the characters HAProxy's config parser
// gives meaning to — so config injection (a live bug class in Octavia) cannot happen downstream.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { isIP as netIsIP } from 'node:net';
import { Ajv, type JSONSchemaType } from 'ajv';
import type {
  HealthMonitorIntent,
  ListenerIntent,
  MemberIntent,
  PoolIntent,
  SEConfig,
  TLSIntent,
  VipIntent,
} from '../seapi/protocol.js';

const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$';
const DNS_LABEL_SEG = '[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?';
const UID = '^[A-Za-z0-9-]{1,64}$';
const VIP_ID = `^${DNS_LABEL_SEG}/${DNS_LABEL_SEG}/[A-Za-z0-9._-]{1,63}$`;
const POOL_NAME = `^${DNS_LABEL_SEG}/${DNS_LABEL_SEG}$`;
/** Characters an IP literal (v4, v6) can hold; the real check is net.isIP. */
const IP_CHARS = '^[0-9A-Fa-f.:]{2,45}$';
const MEMBER_ID = '^\\[?[0-9A-Fa-f.:]{2,45}\\]?:[0-9]{1,5}$';
const MAC = '^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$';
/** An absolute URL path with an optional query, from a conservative RFC 3986 subset (no %, no quotes). */
export const HTTP_PATH = '^/[A-Za-z0-9._~/-]{0,254}(\\?[A-Za-z0-9._~=&/-]{0,254})?$';
/** "200", "200-399", "200,202,300-399". */
export const EXPECTED_CODES = '^[1-5][0-9]{2}(-[1-5][0-9]{2})?(,[1-5][0-9]{2}(-[1-5][0-9]{2})?){0,15}$';
const SHA256_HEX = '^[0-9a-f]{64}$';
const PEM_CERTS = /^(?:-----BEGIN CERTIFICATE-----\r?\n(?:[A-Za-z0-9+/=]{1,76}\r?\n)+-----END CERTIFICATE-----\r?\n?)+$/;
const PEM_KEY = /^-----BEGIN (RSA |EC )?PRIVATE KEY-----\r?\n(?:[A-Za-z0-9+/=]{1,76}\r?\n)+-----END \1PRIVATE KEY-----\r?\n?$/;

const objectRef = {
  type: 'object',
  additionalProperties: false,
  required: ['namespace', 'name', 'uid'],
  properties: {
    namespace: { type: 'string', pattern: DNS_SUBDOMAIN, maxLength: 253 },
    name: { type: 'string', pattern: DNS_SUBDOMAIN, maxLength: 253 },
    uid: { type: 'string', pattern: UID },
  },
} as const;

const healthMonitorSchema: JSONSchemaType<HealthMonitorIntent> = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'intervalSeconds', 'timeoutSeconds', 'maxRetries'],
  properties: {
    type: { type: 'string', enum: ['PING', 'TCP', 'HTTP'] },
    intervalSeconds: { type: 'integer', minimum: 1, maximum: 3600 },
    timeoutSeconds: { type: 'integer', minimum: 1, maximum: 3600 },
    maxRetries: { type: 'integer', minimum: 1, maximum: 10 },
    httpPath: { type: 'string', pattern: HTTP_PATH, nullable: true },
    expectedCodes: { type: 'string', pattern: EXPECTED_CODES, nullable: true },
  },
};

const memberSchema: JSONSchemaType<MemberIntent> = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'ip', 'port', 'weight', 'enabled'],
  properties: {
    id: { type: 'string', pattern: MEMBER_ID },
    ip: { type: 'string', pattern: IP_CHARS },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    // HAProxy's weight range; the operator sends Pool ratio 1–20.
    weight: { type: 'integer', minimum: 0, maximum: 256 },
    enabled: { type: 'boolean' },
  },
};

const poolSchema: JSONSchemaType<PoolIntent> = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'algorithm', 'members'],
  properties: {
    name: { type: 'string', pattern: POOL_NAME },
    algorithm: { type: 'string', enum: ['leastconn', 'roundrobin', 'source-consistent', 'first-response', 'leastload'] },
    members: { type: 'array', items: memberSchema, maxItems: 1024 },
    healthMonitor: { ...healthMonitorSchema, nullable: true },
  },
};

const tlsSchema: JSONSchemaType<TLSIntent> = {
  type: 'object',
  additionalProperties: false,
  required: ['certificate', 'privateKey'],
  properties: {
    certificate: { type: 'string', maxLength: 65536 },
    privateKey: { type: 'string', maxLength: 16384 },
  },
};

const listenerSchema: JSONSchemaType<ListenerIntent> = {
  type: 'object',
  additionalProperties: false,
  required: ['port', 'protocol', 'http'],
  properties: {
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    portRangeEnd: { type: 'integer', minimum: 1, maximum: 65535, nullable: true },
    protocol: { type: 'string', enum: ['TCP', 'UDP'] },
    http: { type: 'boolean' },
    tls: { ...tlsSchema, nullable: true },
  },
};

const vipSchema: JSONSchemaType<VipIntent> = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'virtualService', 'address', 'listeners', 'pool', 'draining', 'drainTimeoutSeconds'],
  properties: {
    id: { type: 'string', pattern: VIP_ID },
    virtualService: objectRef,
    address: { type: 'string', pattern: IP_CHARS },
    interfaceMAC: { type: 'string', pattern: MAC, nullable: true },
    listeners: { type: 'array', items: listenerSchema, minItems: 1, maxItems: 64 },
    pool: poolSchema,
    draining: { type: 'boolean' },
    drainTimeoutSeconds: { type: 'integer', minimum: 0, maximum: 3600 },
  },
};

const seConfigSchema: JSONSchemaType<SEConfig> = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'hash', 'serviceEngine', 'vips'],
  properties: {
    version: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    hash: { type: 'string', pattern: SHA256_HEX },
    serviceEngine: objectRef,
    vips: { type: 'array', items: vipSchema, maxItems: 1024 },
  },
};

const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: false });
const checkSchema = ajv.compile(seConfigSchema);

export type Validation = { ok: true; config: SEConfig } | { ok: false; error: string; version?: number };

/** Schema, then the semantic checks a pattern cannot express. Pure apart from PEM parsing. */
export function validateSEConfig(input: unknown): Validation {
  const version = versionOf(input);
  const fail = (error: string): Validation => (version === undefined ? { ok: false, error } : { ok: false, error, version });
  if (!checkSchema(input)) {
    const e = checkSchema.errors?.[0];
    // ajv's message names the field and the rule, never echoes the offending value.
    return fail(`invalid config: ${e?.instancePath || '/'} ${e?.message ?? 'does not match the schema'}`);
  }
  const cfg = input;
  const vipIDs = new Set<string>();
  const binds = new Set<string>();
  for (const [i, vip] of cfg.vips.entries()) {
    const at = `/vips/${i}`;
    if (vipIDs.has(vip.id)) return fail(`invalid config: ${at}/id duplicates another VIP`);
    vipIDs.add(vip.id);
    if (netIsIP(vip.address) === 0) return fail(`invalid config: ${at}/address is not an IP address`);
    for (const [j, l] of vip.listeners.entries()) {
      const last = l.portRangeEnd ?? l.port;
      if (last < l.port) return fail(`invalid config: ${at}/listeners/${j}/portRangeEnd is below port`);
      for (let p = l.port; p <= last; p++) {
        const key = `${l.protocol}/${vip.address}/${p}`;
        if (binds.has(key)) return fail(`invalid config: ${at}/listeners/${j} binds ${l.protocol} port ${p} twice on one address`);
        binds.add(key);
      }
      if (l.tls !== undefined) {
        const tlsError = checkTLS(l.tls);
        if (tlsError !== undefined) return fail(`invalid config: ${at}/listeners/${j}/tls ${tlsError}`);
        if (!l.http && l.protocol !== 'TCP') return fail(`invalid config: ${at}/listeners/${j}/tls needs a TCP listener`);
      }
    }
    const members = new Set<string>();
    for (const [k, m] of vip.pool.members.entries()) {
      if (netIsIP(m.ip) === 0) return fail(`invalid config: ${at}/pool/members/${k}/ip is not an IP address`);
      const key = `${m.ip}:${m.port}`;
      if (members.has(key)) return fail(`invalid config: ${at}/pool/members/${k} duplicates ${key}`);
      members.add(key);
    }
    const hm = vip.pool.healthMonitor;
    if (hm !== undefined && hm.type !== 'HTTP' && (hm.httpPath !== undefined || hm.expectedCodes !== undefined)) {
      return fail(`invalid config: ${at}/pool/healthMonitor httpPath/expectedCodes need type HTTP`);
    }
    if (hm?.expectedCodes !== undefined) {
      for (const range of hm.expectedCodes.split(',')) {
        const [lo, hi = lo] = range.split('-');
        if (Number(hi) < Number(lo)) return fail(`invalid config: ${at}/pool/healthMonitor/expectedCodes has an empty range`);
      }
    }
  }
  return { ok: true, config: cfg };
}

function versionOf(input: unknown): number | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const v = (input as Record<string, unknown>)['version'];
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

/** PEM by pattern, then parsed: the certificate must be X.509 and the key must be its key. */
function checkTLS(tls: TLSIntent): string | undefined {
  if (!PEM_CERTS.test(tls.certificate)) return 'certificate is not a PEM certificate chain';
  if (!PEM_KEY.test(tls.privateKey)) return 'privateKey is not a PEM private key';
  try {
    const leaf = new X509Certificate(tls.certificate);
    const key = createPrivateKey(tls.privateKey);
    if (!leaf.checkPrivateKey(key)) return 'privateKey does not belong to the certificate';
  } catch {
    // The parser's message could quote key material: say only what failed.
    return 'certificate or privateKey does not parse';
  }
  return undefined;
}
