// contrail-lb-operator: one binary, several subcommands. Each subcommand lives in src/cli/<name>.ts
// and exports `run(argv): Promise<number>` (the exit code). They are imported lazily, and each
// parses its flags (src/cli/flags.ts) before importing anything heavy, so `validate` in a CI
// pipeline does not load the Kubernetes client and `<command> --help` loads almost nothing.
// Only node: built-ins and light modules are imported statically here: the Node version check
// must run before any dependency that needs a newer Node is loaded.
import process from 'node:process';
import { buildInfo } from './buildinfo.js';

/** The oldest Node major this runs on (package.json engines: ">=24 <25"; a unit test keeps them equal). */
export const MIN_NODE_MAJOR = 24;

interface Subcommand {
  name: string;
  summary: string;
  load: () => Promise<{ run: (argv: string[]) => Promise<number> }>;
}

// One row per subcommand (add a row to add a command).
const subcommands: readonly Subcommand[] = [
  { name: 'validate', summary: 'check manifests offline against the CRD schemas and rules (for GitOps pipelines)', load: () => import('./cli/validate.js') },
  { name: 'run', summary: 'run the operator (reconcile Cloud, ServiceEngineGroup, ServiceEngine, Pool, VirtualService)', load: () => import('./cli/run.js') },
  { name: 'sim', summary: 'run the cloud simulator (Keystone, Nova, Neutron, Contrail VNC) on loopback', load: () => import('./cli/sim.js') },
  { name: 'status', summary: 'show virtual services: oper state, SEs, VIPs, pool members, autoscale (also kubectl lb status)', load: async () => ({ run: (await import('./cli/status.js')).statusMain }) },
  { name: 'se-agent', summary: 'the Service Engine agent: serves its VIPs with HAProxy as the operator configures it', load: () => import('./cli/se-agent.js') },
  { name: 'demo', summary: 'the seed scenario end to end: local apiserver, simulator, operator, vs2 scaled out with ECMP', load: () => import('./cli/demo.js') },
];

/** Every subcommand's name (the CLI test holds each to the one parser and a light --help). */
export const commandNames: readonly string[] = subcommands.map((s) => s.name);

function usage(): string {
  const lines = subcommands.map((s) => `  ${s.name.padEnd(10)} ${s.summary}`);
  return [
    'usage: contrail-lb-operator <command> [flags]',
    '       contrail-lb-operator --version',
    '',
    'commands:',
    ...lines,
    '',
    "run 'contrail-lb-operator <command> --help' for a command's flags",
  ].join('\n');
}

/** One line when this Node is too old, else undefined. */
export function nodeRefusal(version: string = process.versions.node): string | undefined {
  const major = Number(version.split('.')[0]);
  if (Number.isInteger(major) && major >= MIN_NODE_MAJOR) return undefined;
  return `contrail-lb-operator: Node ${MIN_NODE_MAJOR} or newer is required, this is Node ${version} (${process.execPath}); in a checkout, 'make deps' installs the pinned Node into node_modules/.bin`;
}

export function versionText(): string {
  const b = buildInfo();
  return `${b.name} ${b.version} (commit ${b.commit}, node ${b.node}, ${b.os}/${b.arch})`;
}

export async function main(argv: string[]): Promise<number> {
  const refusal = nodeRefusal();
  if (refusal !== undefined) {
    process.stderr.write(refusal + '\n');
    return 1;
  }
  const [name, ...rest] = argv;
  if (name === '--version' || name === 'version') {
    process.stdout.write(versionText() + '\n');
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  const sub = subcommands.find((s) => s.name === name);
  if (sub === undefined) {
    process.stderr.write(`contrail-lb-operator: unknown command '${name}' (have ${subcommands.map((s) => s.name).join(', ')}; see --help)\n`);
    return 2;
  }
  const mod = await sub.load();
  return mod.run(rest);
}

const invokedDirectly = process.argv[1] !== undefined && /cli\.(ts|js)$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`contrail-lb-operator: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
