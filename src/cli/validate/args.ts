// Flags of `contrail-lb-operator validate`, parsed once into a typed config (src/cli/flags.ts).
import { parseFlags, UsageError, type FlagTable } from '../flags.js';

export { UsageError };

export interface ValidateArgs {
  paths: string[];
  output: 'text' | 'json';
  strict: boolean;
  resolveRefs: boolean;
  help: boolean;
}

export const usage = `usage: contrail-lb-operator validate -f PATH [-f PATH...] [--output text|json] [--strict] [--resolve-refs]

Checks manifests offline against the contrail-lb CRD schemas and rules, the way kube-apiserver
would on create, before a GitOps pipeline runs kubectl apply.

  -f, --filename PATH   a file, a directory (searched recursively for *.yaml, *.yml, *.json),
                        or - for stdin; repeatable. Multi-document YAML and JSON (also v1 List).
  -o, --output FORMAT   text (default): one line per problem, FILE:LINE: Kind/namespace/name: field.path: message
                        json: one JSON object with every problem, for machines
      --strict          also report objects whose kind is not a contrail-lb kind (ignored otherwise)
      --resolve-refs    check that references resolve within the input: poolRef names a Pool, cloudRef a
                        Cloud, an explicit seGroupRef a ServiceEngineGroup, and the namespace is a tenant
                        of the Cloud (when that Cloud is in the input)
  -h, --help            this help

Exit status: 0 all valid, 1 some object is invalid (or a document does not parse),
2 usage error or unreadable input (missing file, binary, larger than 8 MiB).`;

const FLAGS: FlagTable = {
  filename: { type: 'string', short: 'f', multiple: true },
  output: { type: 'string', short: 'o' },
  strict: { type: 'boolean' },
  'resolve-refs': { type: 'boolean' },
};

export function parseArgs(argv: readonly string[]): ValidateArgs {
  // A bare path is taken as -f PATH; '-' alone is stdin.
  const flags = parseFlags(FLAGS, argv, { positionals: true });
  const output = flags.string('output') ?? 'text';
  if (output !== 'text' && output !== 'json') throw new UsageError(`--output must be text or json, not '${output}'`);
  const args: ValidateArgs = {
    paths: [...flags.strings('filename'), ...flags.positionals],
    output,
    strict: flags.bool('strict'),
    resolveRefs: flags.bool('resolve-refs'),
    help: flags.help(),
  };
  if (!args.help && args.paths.length === 0) throw new UsageError('no input: give at least one -f PATH (or -f - for stdin)');
  return args;
}
