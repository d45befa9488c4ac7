/**
 * The environment and working directory of a process-runtime container, and how its executable
 * is found: what an OCI runtime would give a container whose root filesystem is the host's.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

/** The PATH a container gets when its env does not set one (containerd's default for images without one). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** `env` in order (later duplicates win) plus PATH and HOSTNAME unless `env` sets them. */
export function containerEnvironment(env: { name: string; value: string }[], hostname: string): Record<string, string> {
  // No prototype: a variable may be called anything, `__proto__` included.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const { name, value } of env) out[name] = value;
  if (!('PATH' in out)) out.PATH = DEFAULT_PATH;
  if (!('HOSTNAME' in out)) out.HOSTNAME = hostname;
  return out;
}

export function containerWorkingDir(workingDir: string | undefined): string {
  return workingDir || '/';
}

export type Resolved = { ok: true; path: string } | { ok: false; message: string };

/**
 * Finds `file` as an exec of the OCI runtime would (Go's exec.LookPath): a name with a slash is
 * taken as is (relative to `cwd`), any other is searched in `pathEnv`, an empty element meaning
 * the working directory. Messages are worded as runc's.
 */
export async function resolveExecutable(file: string, pathEnv: string, cwd: string): Promise<Resolved> {
  if (file.includes('/')) {
    const err = await executableError(path.resolve(cwd, file), file);
    return err === undefined ? { ok: true, path: path.resolve(cwd, file) } : { ok: false, message: `exec: ${JSON.stringify(file)}: ${err}` };
  }
  if (file !== '') {
    for (const dir of pathEnv.split(':')) {
      const candidate = path.resolve(cwd, dir === '' ? '.' : dir, file);
      if ((await executableError(candidate, candidate)) === undefined) return { ok: true, path: candidate };
    }
  }
  return { ok: false, message: `exec: ${JSON.stringify(file)}: executable file not found in $PATH` };
}

/** Why `abs` cannot be executed, or undefined when it can. */
async function executableError(abs: string, shown: string): Promise<string | undefined> {
  try {
    const st = await stat(abs);
    if (st.isDirectory()) return 'is a directory';
    if ((st.mode & 0o111) === 0) return 'permission denied';
    await access(abs, constants.X_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES') return 'permission denied';
    if (code === 'ENOENT') return `stat ${shown}: no such file or directory`;
    if (code === 'ENOTDIR') return `stat ${shown}: not a directory`;
    return `stat ${shown}: ${(err as Error).message}`;
  }
}

/** Why `dir` cannot be the working directory, in runc's words, or undefined when it can. */
export async function workingDirError(dir: string): Promise<string | undefined> {
  const fail = (why: string) => `chdir to cwd (${JSON.stringify(dir)}) set in config.json failed: ${why}`;
  if (!path.isAbsolute(dir)) return `cwd property must be an absolute path: ${JSON.stringify(dir)}`;
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) return fail('not a directory');
    await access(dir, constants.X_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return fail('no such file or directory');
    if (code === 'ENOTDIR') return fail('not a directory');
    if (code === 'EACCES') return fail('permission denied');
    return fail((err as Error).message);
  }
}
