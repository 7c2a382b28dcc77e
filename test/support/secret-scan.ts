// The suite-wide secret scan (issue 19, R6): every secret the test suite hands to the operator,
// the simulator or the real OpenStack is searched for — raw, base64 (all three alignments,
// standard and URL-safe), URL-encoded and JSON-escaped — in every log and dump the suite left
// under .local/. Private keys are caught by shape (a PEM block, or its base64), whoever made them.
//
// Where secrets come from: src/sim/default-topology.yaml (users, application credentials),
// the e2e harness (test/support/secrets.ts registers what it makes: the Cloud's password, SE
// bootstrap tokens a test mints), and the real OpenStack's .local/openstack/env.json.
// A hit names the file, the line and the secret's *label*, never the secret.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYAML } from 'yaml';

export interface Secret { label: string; value: string }
export interface Hit { file: string; line: number; label: string; form: string }
export interface ScanResult { files: number; bytes: number; secrets: number; needles: number; hits: Hit[] }

/** Shorter values would match ordinary words; every secret the suite uses is longer. */
export const MIN_SECRET_LENGTH = 8;

const SECRET_KEY = /^(password|secret|token|.*_password|.*Password|.*Secret|.*Token|bootstrapToken|privateKey|tls\.key)$/;

/** Walks a parsed YAML/JSON document and collects string values under secret-sounding keys. */
export function secretsInDocument(doc: unknown, where: string): Secret[] {
  const out: Secret[] = [];
  const walk = (v: unknown, path: string): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (typeof x === 'string' && SECRET_KEY.test(k) && x.length >= MIN_SECRET_LENGTH) out.push({ label: `${where}:${path}.${k}`, value: x });
        else walk(x, `${path}.${k}`);
      }
    }
  };
  walk(doc, '');
  return out;
}

/** The secrets the suite uses, from every source that exists in this checkout. */
export function suiteSecrets(repoRoot: string): Secret[] {
  const out: Secret[] = [];
  const topo = join(repoRoot, 'src/sim/default-topology.yaml');
  out.push(...secretsInDocument(parseYAML(readFileSync(topo, 'utf8')), 'default-topology'));
  const env = join(repoRoot, '.local/openstack/env.json');
  if (existsSync(env)) out.push(...secretsInDocument(JSON.parse(readFileSync(env, 'utf8')), 'openstack-env'));
  // The real OpenStack's passwords: scripts/openstack/lib.sh's defaults, or the environment's.
  const lib = join(repoRoot, 'scripts/openstack/lib.sh');
  if (existsSync(lib)) {
    for (const m of readFileSync(lib, 'utf8').matchAll(/^(OSTEST_\w*PASSWORD)="\$\{\1:-([^}]*)\}"/gm)) {
      const v = process.env[m[1] ?? ''] ?? m[2] ?? '';
      if (v.length >= MIN_SECRET_LENGTH) out.push({ label: `openstack:${m[1] ?? ''}`, value: v });
    }
  }
  const reg = join(repoRoot, '.local/test-secrets');
  if (existsSync(reg)) {
    for (const f of readdirSync(reg)) {
      for (const line of readFileSync(join(reg, f), 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const s = JSON.parse(line) as Secret;
        if (s.value.length >= MIN_SECRET_LENGTH) out.push(s);
      }
    }
  }
  // One needle set per distinct value (many sources repeat the same password).
  const seen = new Map<string, Secret>();
  for (const s of out) if (!seen.has(s.value)) seen.set(s.value, s);
  return [...seen.values()];
}

/**
 * The base64 text of `value` as it appears inside any longer base64 string: for each of the
 * three byte alignments, the characters that depend on the value's bytes alone.
 */
export function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const b = Buffer.concat([Buffer.alloc(k), bytes]).toString('base64');
    const start = k === 0 ? 0 : 4;
    const end = Math.floor((k + bytes.length) / 3) * 4;
    const inner = b.slice(start, end);
    if (inner.length >= MIN_SECRET_LENGTH) out.push(inner);
  }
  return out;
}

export interface Needle { label: string; form: string; text: string }

export function needlesOf(s: Secret): Needle[] {
  const n: Needle[] = [{ label: s.label, form: 'raw', text: s.value }];
  const add = (form: string, text: string): void => {
    if (!n.some((x) => x.text === text)) n.push({ label: s.label, form, text });
  };
  add('url-encoded', encodeURIComponent(s.value));
  add('form-encoded', new URLSearchParams({ x: s.value }).toString().slice(2));
  add('json-escaped', JSON.stringify(s.value).slice(1, -1));
  for (const b of base64Forms(s.value)) {
    add('base64', b);
    add('base64url', b.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return n;
}

/** Private keys by shape: a PEM private-key block, or the base64 of one (a dumped Secret's tls.key). */
const PEM_HEADERS = ['-----BEGIN PRIVATE KEY', '-----BEGIN RSA PRIVATE KEY', '-----BEGIN EC PRIVATE KEY', '-----BEGIN ENCRYPTED PRIVATE KEY', '-----BEGIN OPENSSH PRIVATE KEY'];
export const PRIVATE_KEY_NEEDLES: Needle[] = PEM_HEADERS.flatMap((h) => [
  { label: 'tls-private-key', form: 'pem', text: h },
  { label: 'tls-private-key', form: 'base64-pem', text: Buffer.from(h).toString('base64').slice(0, Math.floor(h.length / 3) * 4) },
]);

/** Files under `root` the scan reads: logs and the harness's dumps, not the secrets' own homes. */
export function isScanned(rel: string): boolean {
  // Where secrets live by design: the registry, the real OpenStack's credentials and configs,
  // a cluster's PKI and kubeconfigs, the built binaries.
  if (/^(test-secrets|bin)\//.test(rel)) return false;
  if (/^openstack\/(env\.json|openrc-|etc\/|pkg\/|run\/|pyhooks\/)/.test(rel)) return false;
  if (/(^|\/)(pki|kubecache|etcd)\//.test(rel) || /(^|\/)kubeconfig[^/]*$/.test(rel)) return false;
  return /\.(log|txt|out|json|jsonl|ndjson)$/.test(rel) && !/(^|\/)cluster\.json$/.test(rel);
}

function walk(dir: string, root: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isSymbolicLink()) continue;
    if (e.isDirectory()) walk(p, root, out);
    else if (e.isFile() && isScanned(relative(root, p))) out.push(p);
  }
}

export function scan(roots: string[], secrets: Secret[], base = roots[0] ?? '.'): ScanResult {
  const needles = [...secrets.flatMap(needlesOf), ...PRIVATE_KEY_NEEDLES];
  const files: string[] = [];
  for (const r of roots) {
    if (!existsSync(r)) continue;
    if (statSync(r).isDirectory()) walk(r, r, files);
    else files.push(r);
  }
  const hits: Hit[] = [];
  let bytes = 0;
  for (const f of files) {
    const text = readFileSync(f, 'latin1');
    bytes += text.length;
    for (const nd of needles) {
      let at = text.indexOf(nd.text);
      // At most a few hits per needle and file: enough to find it, not a flood.
      for (let i = 0; at >= 0 && i < 3; i++) {
        hits.push({ file: relative(base, f), line: text.slice(0, at).split('\n').length, label: nd.label, form: nd.form });
        at = text.indexOf(nd.text, at + 1);
      }
    }
  }
  return { files: files.length, bytes, secrets: secrets.length, needles: needles.length, hits };
}
