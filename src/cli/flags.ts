// The one flag parser of every subcommand: node:util parseArgs (strict), so `--flag=value` and
// `--flag value` mean the same everywhere, an unknown flag is refused, and every error is one line
// naming the flag. Light on purpose: `--help` must not load anything heavy, and this is all a
// subcommand needs before it decides to.
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
}

/** Flag name (without the leading --) → how it parses. `help`/`-h` is added to every table. */
export type FlagTable = Readonly<Record<string, FlagSpec>>;

type Value = string | boolean | (string | boolean)[] | undefined;

export class Flags {
  constructor(
    private readonly values: Readonly<Record<string, Value>>,
    readonly positionals: readonly string[],
    /** Flags in the order given, with their values, for handing a subset on to another parser. */
    readonly given: readonly { name: string; value: string | undefined }[],
  ) {}

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  /** The last value given (a repeated single-valued flag: the last one wins, as with kubectl). */
  string(name: string): string | undefined {
    const v = this.values[name];
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    return typeof last === 'string' ? last : undefined;
  }

  strings(name: string): string[] {
    const v = this.values[name];
    if (v === undefined) return [];
    return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
  }

  bool(name: string): boolean {
    return this.values[name] === true;
  }

  help(): boolean {
    return this.bool('help');
  }
}

const flagName = (s: string): string => (s.startsWith('-') ? s : s.length === 1 ? `-${s}` : `--${s}`);

/** parseArgs's multi-line messages, as one line that names the flag. */
function oneLine(e: Error & { code?: string }): string {
  // "Option '-o, --output <value>' ...": name the long form.
  const quoted = /'[^']*?(--[A-Za-z0-9-]+)/.exec(e.message)?.[1] ?? /'(-[A-Za-z0-9])/.exec(e.message)?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag '${quoted ?? e.message}'`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument '${/'([^']*)'/.exec(e.message)?.[1] ?? ''}'`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(e.message)) return `${quoted ?? 'a flag'} takes no value`;
      // "argument missing" or "argument is ambiguous" (the next word starts with '-').
      return `${quoted ?? 'a flag'} needs a value${/ambiguous/.test(e.message) ? ` (write ${quoted ?? '--flag'}=VALUE for a value starting with '-')` : ''}`;
    default:
      return e.message.split('\n')[0] ?? e.message;
  }
}

export function parseFlags(table: FlagTable, argv: readonly string[], o: { positionals?: boolean } = {}): Flags {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, spec] of Object.entries(table)) options[name] = { ...spec };
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: o.positionals ?? false, tokens: true });
  } catch (e) {
    if (e instanceof Error) throw new UsageError(oneLine(e));
    throw e;
  }
  const given = parsed.tokens.flatMap((t) => (t.kind === 'option' ? [{ name: t.name, value: t.value }] : []));
  return new Flags(parsed.values as Record<string, Value>, parsed.positionals, given);
}

/** Re-serialises some of the flags given, for a parser that owns them (`--name=value` form). */
export function argvOf(flags: Flags, names: ReadonlySet<string>): string[] {
  return flags.given.filter((g) => names.has(g.name)).map((g) => (g.value === undefined ? flagName(g.name) : `${flagName(g.name)}=${g.value}`));
}
