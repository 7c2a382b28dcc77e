// The OCI image layout, written with nothing but tar, gzip and sha256 (no daemon, no builder):
// the image config the Dockerfile's runtime stage would produce, the manifest and index.json.
// Pure functions for the JSON (the parity test builds the expected config with them too) and a
// writer that turns layer tarballs into blobs. Byte-for-byte reproducible: the same layers and
// SOURCE_DATE_EPOCH give the same manifest digest.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export interface Descriptor { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }

/** What the image runs and how; the Dockerfile's runtime stage says the same (test/image/parity.test.ts). */
export interface ImageSpec {
  nodeVersion: string;
  created: string; // RFC 3339, from SOURCE_DATE_EPOCH
  variant: string;
}

export interface ImageConfig {
  created: string;
  architecture: string;
  os: string;
  config: {
    User: string;
    Env: string[];
    Entrypoint: string[];
    WorkingDir: string;
    ExposedPorts: Record<string, Record<string, never>>;
    Labels: Record<string, string>;
  };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history: { created: string; created_by: string; comment?: string }[];
}

export interface LayerInfo { diffID: string; descriptor: Descriptor; createdBy: string }

/**
 * The runtime config: uid 1000, /app, `contrail-lb-operator run`, the Dockerfile's labels and ports.
 * The SE variant runs the agent instead; it exposes no fixed port (its VIPs' ports come with the
 * config it receives).
 */
export function imageConfig(spec: ImageSpec, layers: LayerInfo[]): ImageConfig {
  const se = spec.variant === 'se';
  return {
    created: spec.created,
    architecture: 'amd64',
    os: 'linux',
    config: {
      User: '1000:1000',
      // PATH as in Debian's images; NODE_VERSION as the node base image sets it; NODE_OPTIONS as the
      // Dockerfile's ENV (V8's young generation capped: docs/scaling.md "Where the RSS goes").
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `NODE_VERSION=${spec.nodeVersion}`, 'NODE_ENV=production', 'NODE_OPTIONS=--max-semi-space-size=2'],
      Entrypoint: ['contrail-lb-operator', se ? 'se-agent' : 'run'],
      WorkingDir: '/app',
      ExposedPorts: se ? {} : { '8080/tcp': {}, '8081/tcp': {} },
      Labels: {
        'org.opencontainers.image.title': 'contrail-lb-operator',
        'org.opencontainers.image.description': 'Kubernetes operator for load balancing on OpenStack with Contrail / Tungsten Fabric or plain Neutron',
        'org.opencontainers.image.licenses': 'Apache-2.0',
        'io.contrail-operator.image.variant': spec.variant,
      },
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) },
    history: layers.map((l) => ({ created: spec.created, created_by: l.createdBy })),
  };
}

/** Canonical JSON bytes: keys in insertion order, no whitespace (the digest is over these bytes). */
export const jsonBytes = (v: unknown): Buffer => Buffer.from(JSON.stringify(v), 'utf8');
export const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export function manifest(config: Descriptor, layers: Descriptor[], annotations: Record<string, string>): unknown {
  return { schemaVersion: 2, mediaType: MEDIA.manifest, config, layers, annotations };
}

export function index(manifestDesc: Descriptor): unknown {
  return { schemaVersion: 2, mediaType: MEDIA.index, manifests: [manifestDesc] };
}

/** Counts and hashes what flows through. */
class Digest extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }
  digest(): string { return `sha256:${this.hash.digest('hex')}`; }
}

/**
 * Gzips a layer tarball into blobs/ (diffID = sha256 of the tar, digest = sha256 of the gzip).
 * The gzip is kept in `cache` by diffID, so a warm build does not compress the base layer again.
 */
export async function addLayer(blobs: string, cache: string, tarPath: string, createdBy: string): Promise<LayerInfo> {
  const diff = new Digest();
  await pipeline(createReadStream(tarPath), diff, async function* (src) { for await (const _ of src) { /* hash only */ } });
  const diffID = diff.digest();
  const cached = join(cache, `${diffID.slice(7)}.tar.gz`);
  if (!existsSync(cached)) {
    // Level 9 and Node's bundled zlib: the same tar gives the same bytes (no name or mtime in the header).
    await pipeline(createReadStream(tarPath), createGzip({ level: 9 }), createWriteStream(`${cached}.tmp`));
    renameSync(`${cached}.tmp`, cached);
  }
  const gz = readFileSync(cached);
  const digest = sha256(gz);
  writeBlob(blobs, digest, gz);
  return { diffID, createdBy, descriptor: { mediaType: MEDIA.layer, digest, size: gz.length } };
}

function writeBlob(blobs: string, digest: string, bytes: Buffer): void {
  const p = join(blobs, digest.slice(7));
  if (!existsSync(p)) writeFileSync(p, bytes);
}

export interface Written { manifestDigest: string; configDigest: string; layers: LayerInfo[] }

/** Writes oci-layout, index.json and the blobs of one image tagged `ref`. */
export async function writeLayout(dir: string, cache: string, ref: string, spec: ImageSpec,
  layerTars: { path: string; createdBy: string }[], annotations: Record<string, string>): Promise<Written> {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  mkdirSync(cache, { recursive: true });
  const layers: LayerInfo[] = [];
  for (const l of layerTars) layers.push(await addLayer(blobs, cache, l.path, l.createdBy));
  const cfg = jsonBytes(imageConfig(spec, layers));
  const cfgDesc: Descriptor = { mediaType: MEDIA.config, digest: sha256(cfg), size: cfg.length };
  writeBlob(blobs, cfgDesc.digest, cfg);
  const man = jsonBytes(manifest(cfgDesc, layers.map((l) => l.descriptor), { 'org.opencontainers.image.created': spec.created, ...annotations }));
  const manDigest = sha256(man);
  writeBlob(blobs, manDigest, man);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const ann = { 'org.opencontainers.image.ref.name': ref };
  writeFileSync(join(dir, 'index.json'), jsonBytes(index({ mediaType: MEDIA.manifest, digest: manDigest, size: man.length, annotations: ann })));
  return { manifestDigest: manDigest, configDigest: cfgDesc.digest, layers };
}

/** Reads an image back from a layout: what the tests compare with the Dockerfile. */
export function readLayout(dir: string, ref?: string): { manifestDigest: string; config: ImageConfig; layers: Descriptor[] } {
  const idx = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const m = idx.manifests.find((d) => ref === undefined || d.annotations?.['org.opencontainers.image.ref.name'] === ref);
  if (m === undefined) throw new Error(`no image ${ref ?? ''} in ${dir}`);
  const blob = (d: string): Buffer => readFileSync(join(dir, 'blobs', 'sha256', d.slice(7)));
  const man = JSON.parse(blob(m.digest).toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
  return { manifestDigest: m.digest, config: JSON.parse(blob(man.config.digest).toString('utf8')) as ImageConfig, layers: man.layers };
}

async function main(argv: string[]): Promise<void> {
  const opt = (name: string): string => {
    const i = argv.indexOf(`--${name}`);
    const v = i >= 0 ? argv[i + 1] : undefined;
    if (v === undefined) throw new Error(`--${name} is required`);
    return v;
  };
  const layerTars = argv.flatMap((a, i) => (a === '--layer' ? [argv[i + 1] ?? ''] : [])).map((s) => {
    const [path, ...by] = s.split('=');
    return { path: path ?? '', createdBy: by.join('=') };
  });
  const epoch = Number(opt('epoch'));
  const spec: ImageSpec = { nodeVersion: opt('node-version'), created: new Date(epoch * 1000).toISOString().replace(/\.000Z$/, 'Z'), variant: opt('variant') };
  const w = await writeLayout(opt('out'), opt('cache'), opt('ref'), spec, layerTars, {
    'org.opencontainers.image.version': opt('version'),
    'org.opencontainers.image.revision': opt('revision'),
  });
  process.stdout.write(`${JSON.stringify({ manifestDigest: w.manifestDigest, configDigest: w.configDigest, layers: w.layers.map((l) => ({ diffID: l.diffID, digest: l.descriptor.digest, size: l.descriptor.size })) })}\n`);
}

if (process.argv[1]?.endsWith('oci.ts') === true) {
  main(process.argv.slice(2)).catch((e: unknown) => { process.stderr.write(`oci: ${(e as Error).message}\n`); process.exit(1); });
}
