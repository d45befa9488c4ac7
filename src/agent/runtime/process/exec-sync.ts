/**
 * Runs one command to completion in a container's context (exec probes, `kubectl exec` without a
 * stream) and collects its output. The command gets its own session so that a timeout kills
 * everything it started. A timed-out command reports exit code -1: it never exited by itself.
 */
import { spawn } from 'node:child_process';
import type { ExecResult } from '../runtime.js';
import { exitCodeOf } from './exit-status.js';

/** Output beyond this much per stream is dropped. */
export const MAX_EXEC_OUTPUT_BYTES = 16 * 1024 * 1024;
/** How long output may still arrive after the command exited (from processes it left behind). */
const DRAIN_MS = 1000;

export interface ExecSpec {
  /** Absolute path of the executable. */
  file: string;
  argv0: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  timeoutMs: number;
  /** Run as this user and group (the container's runAsUser/runAsGroup). */
  uid?: number;
  gid?: number;
}

export function runExecSync(spec: ExecSpec): Promise<ExecResult> {
  return new Promise<ExecResult>((resolve) => {
    const chunks: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] };
    const sizes = { stdout: 0, stderr: 0 };
    const collect = (stream: 'stdout' | 'stderr', chunk: Buffer) => {
      const room = MAX_EXEC_OUTPUT_BYTES - sizes[stream];
      if (room <= 0) return;
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      chunks[stream].push(part);
      sizes[stream] += part.length;
    };
    let timedOut = false;
    let settled = false;
    let exitCode = -1;
    let drainTimer: NodeJS.Timeout | undefined;

    const ids = spec.uid !== undefined ? { uid: spec.uid, gid: spec.gid ?? spec.uid } : {};
    const child = spawn(spec.file, spec.args, { argv0: spec.argv0, cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...ids });
    child.stdout!.on('data', (c: Buffer) => collect('stdout', c));
    child.stderr!.on('data', (c: Buffer) => collect('stderr', c));

    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(drainTimer);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve({ exitCode: timedOut ? -1 : exitCode, stdout: Buffer.concat(chunks.stdout), stderr: Buffer.concat(chunks.stderr), timedOut });
    };
    const drainThenFinish = () => {
      drainTimer ??= setTimeout(finish, DRAIN_MS);
    };
    const timer = setTimeout(
      () => {
        timedOut = true;
        if (child.pid !== undefined) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        drainThenFinish();
      },
      Math.max(1, spec.timeoutMs),
    );
    child.on('error', (e) => {
      collect('stderr', Buffer.from(`${e.message}\n`));
      exitCode = 126;
      finish();
    });
    child.on('exit', (code, signal) => {
      exitCode = exitCodeOf(code, signal);
      drainThenFinish();
    });
    child.on('close', finish);
  });
}
