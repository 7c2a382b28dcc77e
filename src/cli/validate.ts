// `contrail-lb-operator validate`: the check a GitOps pipeline runs before `kubectl apply`.
// Exit status: 0 all valid, 1 some object invalid, 2 usage error or unreadable input.
import process from 'node:process';
import type { Readable, Writable } from 'node:stream';
import { parseArgs, usage, UsageError } from './validate/args.js';
import type { CheckReport } from './validate/check.js';
import type { InputError } from './validate/input.js';

export interface IO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

function jsonReport(report: CheckReport, inputErrors: readonly InputError[]): string {
  return JSON.stringify(
    {
      valid: report.problems.length === 0 && inputErrors.length === 0,
      files: report.files,
      objects: report.objects,
      ignored: report.ignored,
      inputErrors: inputErrors.map((e) => ({ file: e.file, message: e.message })),
      problems: report.problems,
    },
    null,
    2,
  );
}

export async function run(argv: string[], io: IO = process): Promise<number> {
  let args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`contrail-lb-operator validate: ${err.message} (see validate --help)\n`);
    return 2;
  }
  if (args.help) {
    io.stdout.write(`${usage}\n`);
    return 0;
  }
  // The schemas and ajv load only now: --help and usage errors stay instant.
  const [{ checkSources, formatProblem }, { readSources }] = await Promise.all([import('./validate/check.js'), import('./validate/input.js')]);
  const { sources, errors: inputErrors } = await readSources(args.paths, io.stdin);
  let report: CheckReport;
  try {
    report = checkSources(sources, { strict: args.strict, resolveRefs: args.resolveRefs });
  } catch (err) {
    // A bug in a check must not look like "valid" to a pipeline, nor print a stack trace.
    io.stderr.write(`contrail-lb-operator validate: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  if (args.output === 'json') {
    io.stdout.write(jsonReport(report, inputErrors) + '\n');
  } else {
    for (const e of inputErrors) io.stderr.write(`${e.file}: ${e.message}\n`);
    if (report.problems.length > 0) io.stdout.write(report.problems.map(formatProblem).join('\n') + '\n');
    const ignored = report.ignored > 0 ? `, ${report.ignored} other object(s) ignored` : '';
    const verdict = inputErrors.length > 0 ? `${inputErrors.length} unreadable input(s)` : report.problems.length > 0 ? `${report.problems.length} problem(s)` : 'all valid';
    io.stderr.write(`validate: ${report.objects} object(s) in ${report.files} file(s)${ignored}: ${verdict}\n`);
  }
  if (inputErrors.length > 0) return 2;
  return report.problems.length > 0 ? 1 : 0;
}
