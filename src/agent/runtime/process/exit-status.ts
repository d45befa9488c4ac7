/**
 * How a process-runtime container's exit status outlives the agent. Each container runs under a
 * small /bin/sh wrapper, the leader of the container's session: it runs the command in the
 * foreground, then writes the command's exit status to a file in the container's state
 * directory. A restarted agent reads that file once the wrapper is gone.
 *
 * The wrapper catches the signals a stop sends to the whole group, so the command alone decides
 * how to react to SIGTERM (a shell runs a trap only after its foreground command ended, so the
 * wrapper keeps waiting). The command runs in a subshell that execs it: its redirections then
 * apply to the command only, and the wrapper's stderr, where a shell reports a command killed
 * by a signal, is /dev/null. The wrapper gets the container's stdout as fd 1 and its stderr as
 * fd 3. SIGKILL kills the wrapper too; the runtime then knows the status from the child's exit
 * (while it is the parent) or from the marker it wrote before killing.
 *
 * A container with stdin (stdin-pipe.ts) gets the read end of its stdin FIFO as fd 0 and a
 * read-write end as fd 4. The wrapper hands fd 4 to a keeper in the container's process group
 * that ignores stop signals and waits for a line on the close FIFO, then drops its own copy: the
 * keeper alone holds the stdin open while nobody is attached, and once it ends (the runtime
 * closed stdin, or the container's group was killed) the command reads end of input.
 */
import { constants } from 'node:os';

export const WRAPPER_NAME = 'capstan-init';

export const WRAPPER_SCRIPT = [
  'f=$1; k=$2; s=$3; shift 3',
  'trap : TERM INT HUP QUIT USR1 USR2',
  `if [ -n "$s" ]; then (trap '' TERM INT HUP QUIT USR1 USR2; read _ <> "$s") <&4 >/dev/null 2>&1 3>&- 4>&- & exec 4>&-; fi`,
  // The shell exports its own PWD; the container gets exactly the PWD its env sets, if any.
  '(if [ -z "$k" ]; then unset PWD; else export PWD="${k#=}"; fi; exec "$@" 2>&3 3>&-)',
  'c=$?',
  'echo "$c" > "$f"',
  'exit "$c"',
].join('\n');

/**
 * argv of /bin/sh for a container whose command is `file` with `args`; `pwd`: PWD if its env sets
 * one; `stdinClose`: the close FIFO of a container with stdin (fd 4 must then be its stdin FIFO).
 */
export function wrapperArgv(exitFile: string, pwd: string | undefined, file: string, args: string[], stdinClose = ''): string[] {
  return ['-c', WRAPPER_SCRIPT, WRAPPER_NAME, exitFile, pwd === undefined ? '' : `=${pwd}`, stdinClose, file, ...args];
}

export interface ExitEvidence {
  /** Contents of the exit file, if the wrapper wrote it. */
  exitFile?: string;
  /** The wrapper's own end, when the runtime is its parent. */
  wrapperExit?: { code: number | null; signal: NodeJS.Signals | null };
  /** The runtime sent SIGKILL to the container. */
  killed: boolean;
}

export interface ExitDecision {
  exitCode: number;
  reason: 'Completed' | 'Error';
  message: string;
}

/** Exit code as containerd reports it: the status, or 128 + the signal number for a killed process. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? constants.signals[signal] : undefined;
  return 128 + (n ?? constants.signals.SIGKILL);
}

export function decideExit(e: ExitEvidence): ExitDecision {
  const fromFile = e.exitFile === undefined ? NaN : Number.parseInt(e.exitFile.trim(), 10);
  let exitCode: number;
  let message = '';
  if (Number.isInteger(fromFile) && fromFile >= 0) exitCode = fromFile;
  else if (e.wrapperExit) exitCode = exitCodeOf(e.wrapperExit.code, e.wrapperExit.signal);
  else if (e.killed) exitCode = 128 + constants.signals.SIGKILL;
  else {
    // The wrapper died without a word while no runtime watched it: only SIGKILL (the OOM killer,
    // an operator) does that.
    exitCode = 128 + constants.signals.SIGKILL;
    message = 'the container was killed while the runtime was not watching it; its exit status is unknown';
  }
  return { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', message };
}
