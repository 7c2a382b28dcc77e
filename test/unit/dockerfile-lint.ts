// A small Dockerfile reader and the image rules of the project (issue 9), as pure functions so
// the test can feed both the real Dockerfile and broken variants. No Docker engine is needed:
// this checks what the Dockerfile says, not a built image.

export interface Instruction {
  cmd: string; // upper case: FROM, RUN, COPY, ...
  args: string; // the rest, continuation lines joined
  line: number; // 1-based line of the instruction's first line
}

export interface Stage {
  name: string | undefined;
  image: string;
  instructions: Instruction[];
}

/** Instructions with comments dropped and `\` continuations joined. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  let buf = '';
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).replace(/\r$/, '');
    const trimmed = raw.trim();
    if (buf === '' && (trimmed === '' || trimmed.startsWith('#'))) continue;
    // Comment lines inside a continued instruction are skipped by Docker too.
    if (buf !== '' && trimmed.startsWith('#')) continue;
    if (buf === '') start = i + 1;
    const cont = /\\\s*$/.test(raw);
    buf += (buf === '' ? '' : ' ') + trimmed.replace(/\\\s*$/, '').trim();
    if (cont) continue;
    const m = /^(\S+)\s*(.*)$/.exec(buf) as RegExpExecArray;
    out.push({ cmd: (m[1] as string).toUpperCase(), args: (m[2] as string).trim(), line: start });
    buf = '';
  }
  if (buf !== '') throw new Error(`Dockerfile ends inside a continued line (line ${start})`);
  return out;
}

export function stagesOf(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.cmd === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const as = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({ image: words[0] ?? '', name: as >= 0 ? words[as + 1] : undefined, instructions: [] });
    } else if (stages.length > 0) {
      (stages[stages.length - 1] as Stage).instructions.push(ins);
    } else if (ins.cmd !== 'ARG') {
      throw new Error(`line ${ins.line}: ${ins.cmd} before the first FROM`);
    }
  }
  return stages;
}

/** `COPY --from=x a b` → { from: 'x', sources: ['a'], dest: 'b' } (exec-form arrays too). */
export function parseCopy(args: string): { from: string | undefined; chmod: string | undefined; sources: string[]; dest: string } {
  const words = args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const flag = (n: string): string | undefined => flags.find((f) => f.startsWith(`--${n}=`))?.slice(n.length + 3);
  return { from: flag('from'), chmod: flag('chmod'), sources: paths.slice(0, -1), dest: paths[paths.length - 1] ?? '' };
}

export interface ImageRules {
  /** The Node version the project pins (package.json devDependencies.node), e.g. 24.21.0. */
  nodeVersion: string;
  /** The command the image must run: ENTRYPOINT in exec form. */
  entrypoint: string[];
  /** package.json `bin`: command name → script path relative to the package root. */
  bin: Record<string, string>;
}

const PINNED_NODE = /^node:(\d+\.\d+\.\d+)-[a-z]+(?:-slim)?(?:@sha256:[0-9a-f]{64})?$/;
const FORBIDDEN_IN_RUNTIME = /\b(npm|npx|yarn|pnpm|corepack|tsc|tsx|gcc|g\+\+|make|apt-get\s+install|apt\s+install|apk\s+add|pip)\b/;

/** Every rule the image must meet; [] when the Dockerfile is fine, else one line per problem. */
export function lintDockerfile(text: string, rules: ImageRules): string[] {
  const problems: string[] = [];
  const stages = stagesOf(parseDockerfile(text));
  if (stages.length < 3) problems.push(`multi-stage: expected separate dependency, build and runtime stages, found ${stages.length} stage(s)`);
  const names = new Set(stages.map((s) => s.name).filter((n): n is string => n !== undefined));

  // Pinned Node LTS: exact version (optionally with digest), the one package.json pins, even major.
  for (const s of stages) {
    if (names.has(s.image)) continue;
    const m = PINNED_NODE.exec(s.image);
    if (s.image.includes('${')) problems.push(`FROM ${s.image}: the base image must be written out, not taken from a build argument`);
    else if (m === null) problems.push(`FROM ${s.image}: the base must be node:<exact version>-<debian>[-slim][@sha256:...]`);
    else if (m[1] !== rules.nodeVersion) problems.push(`FROM ${s.image}: Node ${m[1]} differs from the pinned ${rules.nodeVersion} (package.json devDependencies.node)`);
    if (m !== null && Number((m[1] as string).split('.')[0]) % 2 !== 0) problems.push(`FROM ${s.image}: odd Node majors are never LTS`);
  }

  // Production dependencies in a stage of their own.
  const deps = stages.find((s) => s.instructions.some((i) => i.cmd === 'RUN' && /\bnpm ci\b/.test(i.args) && /--omit=dev\b/.test(i.args)));
  if (deps === undefined) problems.push('no stage runs `npm ci --omit=dev` (production dependencies only)');
  // TypeScript compiled with tsc -p in a build stage.
  const build = stages.find((s) => s.instructions.some((i) => i.cmd === 'RUN' && /\btsc\b.*\s-p\s+\S+/.test(i.args)));
  if (build === undefined) problems.push('no stage compiles TypeScript with `tsc -p <tsconfig>`');
  if (deps !== undefined && deps === build) problems.push('production dependencies must be installed in their own stage, not the build stage');

  const final = stages[stages.length - 1];
  if (final === undefined) return problems;
  const ins = final.instructions;
  const copies = ins.filter((i) => i.cmd === 'COPY' || i.cmd === 'ADD').map((i) => ({ ...parseCopy(i.args), line: i.line, cmd: i.cmd }));

  // What the final stage holds: node_modules from the production stage only, dist from the build.
  const nm = copies.filter((c) => c.sources.some((s) => /node_modules/.test(s)));
  if (nm.length === 0) problems.push('the final stage copies no node_modules');
  for (const c of nm) {
    if (deps === undefined || c.from !== deps.name) problems.push(`line ${c.line}: node_modules must come from the production-dependencies stage${deps?.name ? ` (${deps.name})` : ''}, not ${c.from ?? 'the build context'}`);
  }
  if (!copies.some((c) => c.from !== undefined && c.from === build?.name && c.sources.some((s) => /\/dist\/?$|^dist\/?$/.test(s)))) {
    problems.push('the final stage must copy dist/ from the build stage');
  }
  for (const c of copies) {
    if (c.cmd === 'ADD') problems.push(`line ${c.line}: use COPY, not ADD (no remote URLs or auto-extraction)`);
    if (c.from === undefined && c.sources.some((s) => /^(\.\/)?(src|test)(\/|$)|\.ts$|tsconfig/.test(s))) problems.push(`line ${c.line}: sources or TypeScript config in the final image (${c.sources.join(' ')})`);
  }

  // No build tools: nothing installed or compiled in the final stage, and npm & co. removed.
  for (const r of ins.filter((i) => i.cmd === 'RUN')) {
    const withoutRm = r.args.replace(/\brm\s+(-\w+\s+)*[^&;|]*/g, '');
    if (FORBIDDEN_IN_RUNTIME.test(withoutRm)) problems.push(`line ${r.line}: build tool or package manager used in the final stage: ${r.args.slice(0, 80)}`);
  }
  const removes = ins.filter((i) => i.cmd === 'RUN').map((i) => i.args).join(' ');
  for (const p of ['/usr/local/bin/npm', '/usr/local/bin/npx', '/usr/local/lib/node_modules']) {
    if (!new RegExp(`\\brm\\b[^&;|]*${p.replace(/\//g, '\\/')}(\\s|$)`).test(removes)) problems.push(`the final stage must remove ${p} (the base image's npm)`);
  }

  // Non-root: the last USER is numeric and not 0, and nothing runs after it as another user.
  const users = ins.filter((i) => i.cmd === 'USER');
  const user = users[users.length - 1];
  if (user === undefined) problems.push('the final stage sets no USER (it would run as root)');
  else {
    const [uid, gid] = user.args.split(':');
    if (!/^\d+$/.test(uid ?? '')) problems.push(`USER ${user.args}: use a numeric uid so the kubelet can verify runAsNonRoot`);
    else if (Number(uid) === 0 || (gid !== undefined && Number(gid) === 0)) problems.push(`USER ${user.args}: must not be root`);
  }

  // Entrypoint: exec form, the expected command, and the command really on PATH in the image.
  const eps = ins.filter((i) => i.cmd === 'ENTRYPOINT');
  const ep = eps[eps.length - 1];
  let epArgs: unknown;
  try {
    epArgs = ep === undefined ? undefined : JSON.parse(ep.args);
  } catch {
    epArgs = undefined;
  }
  if (!Array.isArray(epArgs)) problems.push('ENTRYPOINT must be in exec form (a JSON array) so the operator is PID 1 and receives SIGTERM');
  else if (JSON.stringify(epArgs) !== JSON.stringify(rules.entrypoint)) problems.push(`ENTRYPOINT ${JSON.stringify(epArgs)} is not ${JSON.stringify(rules.entrypoint)}`);
  if (ins.some((i) => i.cmd === 'CMD' && /\brun\b/.test(i.args))) problems.push('CMD repeats `run`: flags only belong in CMD / container args');
  const command = rules.entrypoint[0] ?? '';
  const script = rules.bin[command];
  if (script === undefined) problems.push(`package.json bin has no '${command}'`);
  else if (!new RegExp(`\\bln\\s+-s\\S*\\s+/app/${script.replace(/[./]/g, '\\$&')}\\s+/usr/local/bin/${command}\\b`).test(removes)) {
    problems.push(`the final stage must link /usr/local/bin/${command} to /app/${script}`);
  }
  if (!copies.some((c) => c.from === undefined && c.sources.some((s) => script !== undefined && script.startsWith(s.replace(/^\.\//, '').replace(/\/?$/, '/'))) && (c.chmod === undefined || /^0?7[57][57]$/.test(c.chmod)))) {
    problems.push(`the final stage must copy ${script ?? 'the bin script'} (executable)`);
  }
  return problems;
}

/**
 * Whether a path of the build context is excluded by .dockerignore (last matching rule wins,
 * `!` re-includes, `*` within a segment, `**` across segments; a pattern also matches what is
 * below a matched directory). Enough of Docker's semantics for this project's file.
 */
export function dockerIgnored(patterns: string[], path: string): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    const pat = (negate ? line.slice(1) : line).replace(/^\/+/, '').replace(/\/+$/, '');
    const re = new RegExp(
      '^' +
        pat
          .split('/')
          .map((seg) => (seg === '**' ? '(?:.*)' : seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
          .join('/')
          .replace(/\(\?:\.\*\)\//g, '(?:.*/)?') +
        '(?:/.*)?$',
    );
    if (re.test(path)) ignored = !negate;
  }
  return ignored;
}
