// contrail-lb-operator: one binary, several subcommands. Each subcommand lives in src/cli/<name>.ts
// and exports `run(argv): Promise<number>` (the exit code); they are imported lazily so that
// `validate` in a CI pipeline does not load the Kubernetes client or the simulator.
import process from 'node:process';

interface Subcommand {
  summary: string;
  load: () => Promise<{ run: (argv: string[]) => Promise<number> }>;
}

const subcommands: Record<string, Subcommand> = {
  validate: {
    summary: 'check manifests offline against the CRD schemas and rules (for GitOps pipelines)',
    load: () => import('./cli/validate.js'),
  },
  run: {
    summary: 'run the operator (reconcile Cloud, ServiceEngineGroup, ServiceEngine, Pool, VirtualService)',
    load: () => import('./cli/run.js'),
  },
  sim: {
    summary: 'run the cloud simulator (Keystone, Nova, Neutron, Contrail VNC) on loopback',
    load: () => import('./cli/sim.js'),
  },
  demo: {
    summary: 'the seed scenario end to end: local apiserver, simulator, operator, vs2 scaled out with ECMP',
    load: () => import('./cli/demo.js'),
  },
  'se-agent': { summary: 'the Service Engine agent: serves its VIPs with HAProxy as the operator configures it', load: async () => ({ run: (await import('./agent/main.js')).seAgentMain }) },
};

function usage(): string {
  const lines = Object.entries(subcommands).map(([name, s]) => `  ${name.padEnd(10)} ${s.summary}`);
  return [
    'usage: contrail-lb-operator <command> [flags]',
    '',
    'commands:',
    ...lines,
    '',
    "run 'contrail-lb-operator <command> --help' for a command's flags",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  const sub = subcommands[name];
  if (sub === undefined) {
    process.stderr.write(`contrail-lb-operator: unknown command '${name}'\n\n${usage()}\n`);
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
