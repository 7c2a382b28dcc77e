// Every CEL rule (x-kubernetes-validations) in crds/ re-checked in TypeScript, so that offline
// validation agrees with kube-apiserver. The rule text is the key: a rule in a CRD with no mirror
// here is a programming error (compileRules throws, and a unit test lists every rule), so a CRD
// edit cannot silently drift from the offline check. Messages come from the CRD itself.
import { cidrContainsIP, isCIDR, isIP, isURLWithScheme } from './ip.js';
import { fieldError, type FieldError, type FieldPath } from './errors.js';
import type { JSONSchemaProps, ValidationRule } from './crds.js';

type Obj = Record<string, unknown>;

/** A rule's mirror: true when valid. `undefined` fields make a rule pass (CEL would not reach them
 * after defaulting; absent optional fields are guarded with has() in every rule). */
type Mirror = (self: unknown, oldSelf: unknown) => boolean;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: unknown, k: string): boolean => isObj(o) && o[k] !== undefined;
const num = (o: unknown, k: string): number | undefined => (isObj(o) && typeof o[k] === 'number' ? o[k] : undefined);
const str = (o: unknown, k: string): string | undefined => (isObj(o) && typeof o[k] === 'string' ? o[k] : undefined);
const bool = (o: unknown, k: string): boolean | undefined => (isObj(o) && typeof o[k] === 'boolean' ? o[k] : undefined);

function lessOrEqual(a: number | undefined, b: number | undefined): boolean {
  return a === undefined || b === undefined || a <= b;
}

function portRangesDisjoint(list: unknown): boolean {
  if (!Array.isArray(list)) return true;
  const ranges = list.filter(isObj).map((s) => {
    const port = num(s, 'port') ?? 0;
    return { port, end: num(s, 'portRangeEnd') ?? port };
  });
  return ranges.every((a) => ranges.every((b) => a.port === b.port || a.end < b.port || b.end < a.port));
}

export const celMirrors: Readonly<Record<string, Mirror>> = {
  // Transition rule: only evaluated on update, when the field exists in both old and new.
  'self == oldSelf': (self, oldSelf) => JSON.stringify(self) === JSON.stringify(oldSelf),
  "isURL(self) && url(self).getScheme() in ['http', 'https']": (self) =>
    typeof self !== 'string' || isURLWithScheme(self, ['http', 'https']),
  'isIP(self)': (self) => typeof self !== 'string' || isIP(self),
  'isCIDR(self)': (self) => typeof self !== 'string' || isCIDR(self),
  'self.minScaleoutPerVS <= self.maxScaleoutPerVS': (self) =>
    lessOrEqual(num(self, 'minScaleoutPerVS'), num(self, 'maxScaleoutPerVS')),
  'self.bufferSEs <= self.maxSEs': (self) => lessOrEqual(num(self, 'bufferSEs'), num(self, 'maxSEs')),
  'self.timeoutSeconds <= self.intervalSeconds': (self) =>
    lessOrEqual(num(self, 'timeoutSeconds'), num(self, 'intervalSeconds')),
  "self.type == 'HTTP' || !has(self.httpPath)": (self) => str(self, 'type') === 'HTTP' || !has(self, 'httpPath'),
  '!has(self.autoAllocateIP) || self.autoAllocateIP || has(self.ipAddress)': (self) =>
    bool(self, 'autoAllocateIP') !== false || has(self, 'ipAddress'),
  '!(has(self.autoAllocateIP) && self.autoAllocateIP && has(self.ipAddress))': (self) =>
    !(bool(self, 'autoAllocateIP') === true && has(self, 'ipAddress')),
  'has(self.subnetUUID) || has(self.networkRef)': (self) => has(self, 'subnetUUID') || has(self, 'networkRef'),
  '!has(self.ipAddress) || !has(self.subnet) || !isIP(self.ipAddress) || !isCIDR(self.subnet) || cidr(self.subnet).containsIP(self.ipAddress)':
    (self) => {
      const ip = str(self, 'ipAddress');
      const subnet = str(self, 'subnet');
      if (ip === undefined || subnet === undefined || !isIP(ip) || !isCIDR(subnet)) return true;
      return cidrContainsIP(subnet, ip);
    },
  '!(has(self.autoAllocateFloatingIP) && self.autoAllocateFloatingIP && has(self.floatingIP))': (self) =>
    !(bool(self, 'autoAllocateFloatingIP') === true && has(self, 'floatingIP')),
  'self.all(a, self.all(b, a.port == b.port || (has(a.portRangeEnd) ? a.portRangeEnd : a.port) < b.port || (has(b.portRangeEnd) ? b.portRangeEnd : b.port) < a.port))':
    portRangesDisjoint,
  '!has(self.portRangeEnd) || self.portRangeEnd >= self.port': (self) =>
    lessOrEqual(num(self, 'port'), num(self, 'portRangeEnd')),
  'self.minSEs <= self.maxSEs': (self) => lessOrEqual(num(self, 'minSEs'), num(self, 'maxSEs')),
  // ecmp is defaulted (false), so CEL always sees it; an absent one here is the default too.
  '!has(self.autoscale) || self.ecmp': (self) => !has(self, 'autoscale') || bool(self, 'ecmp') === true,
  // An enableSSL port without a certificate would be served in clear or not at all: refused.
  'has(self.tls) || !self.services.exists(s, has(s.enableSSL) && s.enableSSL)': (self) =>
    has(self, 'tls') || !(isObj(self) && Array.isArray(self['services']) && self['services'].some((s) => bool(s, 'enableSSL') === true)),
  "self.metric != 'CPUPercent' || self.target <= 100": (self) =>
    str(self, 'metric') !== 'CPUPercent' || lessOrEqual(num(self, 'target'), 100),
};

export function isTransitionRule(rule: string): boolean {
  return /\boldSelf\b/.test(rule);
}

/** Throws when a CRD carries a rule with no TypeScript mirror. */
export function assertMirrored(rules: readonly ValidationRule[], where: string): void {
  for (const r of rules) {
    if (!Object.hasOwn(celMirrors, r.rule)) {
      throw new Error(`CEL rule at ${where} has no TypeScript mirror in src/api/cel.ts: ${r.rule}`);
    }
  }
}

/** The path a failing rule reports: the node's path plus the rule's fieldPath (".a.b"). */
function rulePath(path: FieldPath, rule: ValidationRule): FieldPath {
  if (rule.fieldPath === undefined) return path;
  return [...path, ...rule.fieldPath.split('.').filter((s) => s !== '')];
}

/**
 * Evaluates every rule in schema against value (and oldValue, for transition rules on update),
 * the way the apiserver does: depth first, array items correlated with the old list by key for
 * x-kubernetes-list-type map lists (other lists are not correlated, so no transition rules there).
 */
export function checkRules(
  schema: JSONSchemaProps,
  value: unknown,
  oldValue: unknown,
  path: FieldPath,
  out: FieldError[],
): void {
  if (value === undefined) return;
  for (const rule of schema['x-kubernetes-validations'] ?? []) {
    const mirror = celMirrors[rule.rule];
    if (mirror === undefined) continue; // assertMirrored() at compile time prevents this
    if (isTransitionRule(rule.rule) && oldValue === undefined) continue;
    if (!mirror(value, oldValue)) {
      out.push(fieldError.invalid(rulePath(path, rule), schema.type ?? 'object', rule.message ?? `failed rule: ${rule.rule}`));
    }
  }
  if (isObj(value) && schema.properties !== undefined) {
    for (const [name, child] of Object.entries(schema.properties)) {
      checkRules(child, value[name], isObj(oldValue) ? oldValue[name] : undefined, [...path, name], out);
    }
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    const keys = schema['x-kubernetes-list-map-keys'];
    const correlate = schema['x-kubernetes-list-type'] === 'map' && keys !== undefined && Array.isArray(oldValue);
    value.forEach((item, i) => {
      const old = correlate
        ? (oldValue as unknown[]).find((o) => isObj(o) && isObj(item) && keys.every((k) => o[k] === item[k]))
        : undefined;
      checkRules(schema.items as JSONSchemaProps, item, old, [...path, i], out);
    });
  }
}
