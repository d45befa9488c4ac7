/**
 * Starts a command as a host process with its stdio as streams: what a streaming exec is for the
 * `process` runtime. The command gets its own session so that killing it kills what it started.
 *
 * With a TTY the command runs under util-linux `script`, which gives it a pseudo-terminal (Node
 * has no pty API): `script -qfec <cmd> /dev/null` relays our pipes to the terminal, passes end of
 * input on as the terminal's EOF, and exits with the command's status. Terminal resizes are
 * applied to the command's terminal with `stty -F <pts> rows R cols C`, which makes the kernel
 * signal SIGWINCH to it as a real resize does.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import type { ExecProcess } from '../runtime/runtime.js';
import { exitCodeOf } from '../runtime/process/exit-status.js';

export interface HostExecSpec {
  /** Absolute path of the executable (without a TTY). */
  file: string;
  /** argv, argv[0] being the name the command was given as. */
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  tty: boolean;
  stdin: boolean;
}

/** How long output may still arrive after the command exited (from processes it left behind). */
const DRAIN_MS = 1000;

/** Quotes argv for `sh -c` so that every word reaches the command unchanged. */
export function shellQuote(argv: string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The `script` invocation that runs argv on a new pseudo-terminal. */
export function scriptArgs(argv: string[]): string[] {
  return ['-qfec', `exec ${shellQuote(argv)}`, '/dev/null'];
}

export function startHostExec(spec: HostExecSpec): ExecProcess {
  const stdio: ('pipe' | 'ignore')[] = [spec.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'];
  let child: ChildProcess;
  if (spec.tty) {
    const env = { ...spec.env, TERM: spec.env.TERM ?? 'xterm', SHELL: '/bin/sh' };
    child = spawn('script', scriptArgs(spec.argv), { cwd: spec.cwd, env, detached: true, stdio });
  } else {
    child = spawn(spec.file, spec.argv.slice(1), { argv0: spec.argv[0], cwd: spec.cwd, env: spec.env, detached: true, stdio });
  }
  child.stdin?.on('error', () => undefined);
  // With a terminal there is one output stream; `script`'s own complaints join it.
  const stdout: Readable = spec.tty ? merge(child.stdout!, child.stderr!) : child.stdout!;
  const stderr: Readable | undefined = spec.tty ? undefined : child.stderr!;

  const exited = new Promise<number>((resolve) => {
    let code = -1;
    let settled = false;
    let drain: NodeJS.Timeout | undefined;
    const done = () => {
      if (settled) return;
      settled = true;
      clearTimeout(drain);
      // Leftover holders of the pipes must not keep the session open.
      stdout.destroy();
      stderr?.destroy();
      resolve(code);
    };
    // Could not start at all (the executable vanished since it was resolved): as a shell would.
    child.on('error', () => {
      code = 126;
      done();
    });
    child.on('exit', (c, signal) => {
      code = exitCodeOf(c, signal);
      drain = setTimeout(done, DRAIN_MS);
    });
    child.on('close', done);
  });

  let resizing = Promise.resolve();
  return {
    stdin: child.stdin ?? undefined,
    stdout,
    stderr,
    exited,
    resize(width: number, height: number) {
      if (!spec.tty || child.pid === undefined) return;
      const pid = child.pid;
      resizing = resizing.then(() => resizeTerminalOf(pid, width, height)).catch(() => undefined);
    },
    kill() {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

/** One readable that ends when both inputs have. */
function merge(a: Readable, b: Readable): Readable {
  const out = new PassThrough();
  let open = 2;
  for (const s of [a, b]) {
    s.pipe(out, { end: false });
    s.on('end', () => --open === 0 && out.end());
    s.on('error', () => --open === 0 && out.end());
  }
  out.on('close', () => {
    a.destroy();
    b.destroy();
  });
  return out;
}

/**
 * Sets the window size of the terminal that `script` gave a command: the first process under
 * `rootPid` (itself included, a few levels down) whose stdin is a pseudo-terminal. The terminal
 * is reached through /proc/<pid>/fd/0, which also works for one inside a container.
 */
export async function resizeTerminalOf(rootPid: number, width: number, height: number): Promise<void> {
  const tty = await terminalUnder(rootPid);
  if (!tty) return;
  await new Promise<void>((resolve) => {
    execFile('stty', ['-F', tty, 'rows', String(height), 'cols', String(width)], () => resolve());
  });
}

async function terminalUnder(rootPid: number): Promise<string | undefined> {
  // `script` forks the command right after it starts: look for it a few times.
  for (let i = 0; i < 20; i++) {
    let level = [rootPid];
    for (let depth = 0; depth < 4 && level.length > 0; depth++) {
      const next: number[] = [];
      for (const pid of level) {
        if (depth > 0 && (await readlink(`/proc/${pid}/fd/0`).catch(() => '')).startsWith('/dev/pts/')) return `/proc/${pid}/fd/0`;
        const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean);
        next.push(...children.map(Number));
      }
      level = next;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}
