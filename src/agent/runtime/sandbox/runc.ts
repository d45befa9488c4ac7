/**
 * The few `runc` commands the sandbox runtime uses, on a state root of its own (`runc --root`),
 * so that its containers are listed apart from anyone else's. runc reports errors on stderr and,
 * with `--log`, as JSON records in a log file; a failed command's error is returned in runc's
 * words (the last `error`-level record, else stderr).
 */
import { execFile, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile, unlink } from 'node:fs/promises';

export const RUNC_CANDIDATES = ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc', '/usr/local/bin/runc'];

/** The first runc binary found among the usual places, or undefined. */
export async function findRunc(candidates = RUNC_CANDIDATES): Promise<string | undefined> {
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

export interface RuncState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped' | string;
  bundle: string;
}

export class RuncError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuncError';
  }
}

/** The error message of a runc run: the last error record of its JSON log, else its stderr. */
export function runcErrorMessage(jsonLog: string, stderr: string): string {
  let msg = '';
  for (const line of jsonLog.split('\n')) {
    if (!line.trim()) continue;
    try {
      const rec = JSON.parse(line) as { level?: string; msg?: string };
      if ((rec.level === 'error' || rec.level === 'fatal') && rec.msg) msg = rec.msg;
    } catch {
      // not JSON
    }
  }
  return msg || stderr.trim().split('\n').filter(Boolean).pop() || 'runc failed without a message';
}

export class Runc {
  constructor(
    readonly binary: string,
    /** runc's state root for this runtime's containers. */
    readonly root: string,
  ) {}

  version(): Promise<string> {
    return this.run(['--version']).then((out) => /runc version (\S+)/.exec(out)?.[1] ?? 'unknown');
  }

  /**
   * `runc run --detach`: creates and starts the container of `bundle`. Its stdio: fd 1 and 3 as
   * given (fd 3 passed on with --preserve-fds), stderr /dev/null, stdin /dev/null or, given
   * `stdin`, its `read` fd as fd 0 and its `keep` fd as fd 4 (stdin-pipe.ts).
   */
  async runDetached(id: string, bundle: string, pidFile: string, logFile: string, stdout: number, fd3: number, stdin?: { read: number; keep: number }): Promise<void> {
    await unlink(logFile).catch(() => {});
    const preserve = stdin ? '2' : '1';
    const args = ['--root', this.root, '--log', logFile, '--log-format', 'json', 'run', '--detach', '--bundle', bundle, '--pid-file', pidFile, '--preserve-fds', preserve, id];
    // runc's stderr becomes the container's: /dev/null (the wrapper's own; the command's is fd 3),
    // so runc's errors are read from its JSON log.
    const child = spawn(this.binary, args, { stdio: stdin ? [stdin.read, stdout, 'ignore', fd3, stdin.keep] : ['ignore', stdout, 'ignore', fd3] });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c) => resolve(c));
    });
    if (code !== 0) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      throw new RuncError(runcErrorMessage(log, `runc run exited with status ${String(code)}`));
    }
  }

  /** Signals every process of the container (`kill --all`: its init ignores what it traps). */
  async kill(id: string, signal: 'TERM' | 'KILL'): Promise<void> {
    await this.run(['--root', this.root, 'kill', '--all', id, signal]);
  }

  async delete(id: string): Promise<void> {
    await this.run(['--root', this.root, 'delete', '--force', id]);
  }

  async state(id: string): Promise<RuncState | undefined> {
    try {
      return JSON.parse(await this.run(['--root', this.root, 'state', id])) as RuncState;
    } catch (err) {
      if (err instanceof RuncError && /does not exist|not exist/.test(err.message)) return undefined;
      throw err;
    }
  }

  async list(): Promise<RuncState[]> {
    const out = await this.run(['--root', this.root, 'list', '--format', 'json']);
    return (JSON.parse(out.trim() || 'null') as RuncState[] | null) ?? [];
  }

  /** argv (after the binary) of `runc exec` running `cmd` in container `id`. */
  execArgs(id: string, cmd: string[], pidFile?: string): string[] {
    return ['--root', this.root, 'exec', ...(pidFile ? ['--pid-file', pidFile] : []), id, ...cmd];
  }

  private run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.binary, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) reject(new RuncError(runcErrorMessage('', `${stderr}` || err.message)));
        else resolve(stdout);
      });
    });
  }
}
