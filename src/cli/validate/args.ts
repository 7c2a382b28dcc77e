// Flags of `contrail-lb-operator validate`, parsed once into a typed config.
export interface ValidateArgs {
  paths: string[];
  output: 'text' | 'json';
  strict: boolean;
  resolveRefs: boolean;
  help: boolean;
}

export class UsageError extends Error {}

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

export function parseArgs(argv: readonly string[]): ValidateArgs {
  const args: ValidateArgs = { paths: [], output: 'text', strict: false, resolveRefs: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`flag ${flag} needs a value`);
      i++;
      return next;
    };
    switch (flag) {
      case '-f':
      case '--filename':
        args.paths.push(value());
        break;
      case '-o':
      case '--output': {
        const v = value();
        if (v !== 'text' && v !== 'json') throw new UsageError(`--output must be text or json, not '${v}'`);
        args.output = v;
        break;
      }
      case '--strict':
        args.strict = true;
        break;
      case '--resolve-refs':
        args.resolveRefs = true;
        break;
      case '-h':
      case '--help':
        args.help = true;
        break;
      default:
        if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown flag '${arg}'`);
        args.paths.push(arg); // a bare path is taken as -f PATH
    }
  }
  if (!args.help && args.paths.length === 0) throw new UsageError('no input: give at least one -f PATH (or -f - for stdin)');
  return args;
}
