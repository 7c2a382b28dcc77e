// Finds and reads the manifest files named on the command line. Anything that cannot be read as
// text is an InputError (exit status 2): a missing path, a binary file, an oversized file.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

export const maxFileBytes = 8 * 1024 * 1024;
const manifestExtensions = /\.(ya?ml|json)$/i;

export interface Source {
  /** As shown in messages: the path as found, or <stdin>. */
  name: string;
  text: string;
}

export class InputError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Bytes to text, refusing what is not UTF-8 text (a NUL byte, or an invalid sequence). */
export function decode(name: string, bytes: Uint8Array): string {
  if (bytes.length > maxFileBytes) {
    throw new InputError(name, `${mib(bytes.length)} is larger than the ${mib(maxFileBytes)} limit for one manifest file`);
  }
  if (bytes.includes(0)) throw new InputError(name, 'binary data (a NUL byte), not a YAML or JSON manifest');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputError(name, 'not UTF-8 text, not a YAML or JSON manifest');
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

// Synchronous on purpose: for a thousand small files, sync reads are several times faster than
// the thread-pool round trips of fs/promises, and a CLI has nothing else to do meanwhile.
function readBounded(path: string): Uint8Array {
  let info;
  try {
    info = statSync(path);
  } catch (err) {
    throw new InputError(path, describeFsError(err));
  }
  if (info.size > maxFileBytes) {
    throw new InputError(path, `${mib(info.size)} is larger than the ${mib(maxFileBytes)} limit for one manifest file`);
  }
  try {
    return readFileSync(path);
  } catch (err) {
    throw new InputError(path, describeFsError(err));
  }
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

/** Manifest files under dir, sorted, skipping dot-entries; symlinked directories are not followed (no loops). */
function listManifests(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw new InputError(dir, describeFsError(err));
  }
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...listManifests(path));
    else if ((e.isFile() || e.isSymbolicLink()) && manifestExtensions.test(e.name)) out.push(path);
  }
  return out;
}

async function readStdin(stdin: Readable): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > maxFileBytes) throw new InputError('<stdin>', `more than the ${mib(maxFileBytes)} limit for one manifest stream`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export interface ReadResult {
  sources: Source[];
  errors: InputError[];
}

/** Reads every named path; collects input errors instead of stopping at the first. */
export async function readSources(paths: readonly string[], stdin: Readable): Promise<ReadResult> {
  const sources: Source[] = [];
  const errors: InputError[] = [];
  const read = async (name: string, load: () => Uint8Array | Promise<Uint8Array>): Promise<void> => {
    try {
      sources.push({ name, text: decode(name, await load()) });
    } catch (err) {
      if (err instanceof InputError) errors.push(err);
      else errors.push(new InputError(name, err instanceof Error ? err.message : String(err)));
    }
  };
  for (const path of paths) {
    if (path === '-') {
      await read('<stdin>', () => readStdin(stdin));
      continue;
    }
    let isDir = false;
    try {
      isDir = (await stat(path)).isDirectory();
    } catch (err) {
      errors.push(new InputError(path, describeFsError(err)));
      continue;
    }
    if (!isDir) {
      await read(path, () => readBounded(path));
      continue;
    }
    try {
      for (const file of listManifests(path)) await read(file, () => readBounded(file));
    } catch (err) {
      if (err instanceof InputError) errors.push(err);
      else throw err;
    }
  }
  return { sources, errors };
}
