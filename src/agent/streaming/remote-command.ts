/**
 * The remote command protocol of `kubectl exec` and `attach` (the kubelet's
 * pkg/kubelet/cri/streaming/remotecommand), independent of the transport: the request options,
 * the final Status written on the error stream, and the exec session that joins a command's stdio
 * to the client's streams (attach-session.ts has attach's). Transports (WebSocket channels, SPDY
 * streams) provide RemoteCommandStreams.
 */
import { randomBytes } from 'node:crypto';
import { finished } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import { RuntimeError, type ExecProcess } from '../runtime/runtime.js';

export interface RemoteCommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  /** exec only. */
  command: string[];
}

/** The stream protocol versions, newest first. v5 (stdin close signal) exists only over WebSocket. */
export const StreamProtocol = {
  v5: 'v5.channel.k8s.io',
  v4: 'v4.channel.k8s.io',
  v3: 'v3.channel.k8s.io',
  v2: 'v2.channel.k8s.io',
  v1: 'channel.k8s.io',
} as const;

/** The Status written on the error stream (metav1.Status as JSON, from v4 on). */
export interface StreamStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: { reason: string; message: string }[] };
  code?: number;
}

export class BadStreamRequest extends Error {}

/**
 * The kubelet's query parameters (`input`, `output`, `error`, `tty`, `command`; `1` is true) as
 * options; as the kubelet, a TTY drops stderr, and at least one stream is required.
 */
export function parseRemoteCommandOptions(q: URLSearchParams): RemoteCommandOptions {
  const flag = (k: string) => q.get(k) === '1';
  const tty = flag('tty');
  const opts: RemoteCommandOptions = { stdin: flag('input'), stdout: flag('output'), stderr: flag('error') && !tty, tty, command: q.getAll('command') };
  if (!opts.stdin && !opts.stdout && !opts.stderr) throw new BadStreamRequest('you must specify at least 1 of stdin, stdout, stderr');
  return opts;
}

/** The query the API server sends the agent for PodExecOptions / PodAttachOptions. */
export function remoteCommandQuery(o: RemoteCommandOptions): string {
  const q = new URLSearchParams();
  if (o.stdin) q.set('input', '1');
  if (o.stdout) q.set('output', '1');
  if (o.stderr) q.set('error', '1');
  if (o.tty) q.set('tty', '1');
  for (const c of o.command) q.append('command', c);
  return q.toString();
}

export const successStatus = (): StreamStatus => ({ metadata: {}, status: 'Success' });

/** A command that exited non-zero: reason NonZeroExitCode, the code as an ExitCode cause (kubectl exits with it). */
export function exitCodeStatus(command: string[], exitCode: number): StreamStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** An error before or while running the command: an InternalError Status, as the kubelet writes it. */
export function internalErrorStatus(full: string): StreamStatus {
  return { metadata: {}, status: 'Failure', message: `Internal error occurred: ${full}`, reason: 'InternalError', details: { causes: [{ reason: '', message: full }] }, code: 500 };
}

/** The wording of a command that could not start, after containerd's exec path. */
export function execStartFailure(err: unknown): string {
  const why = err instanceof Error ? err.message : String(err);
  if (err instanceof RuntimeError && err.reason === 'RunContainerError')
    return `failed to exec in container: failed to start exec "${randomBytes(32).toString('hex')}": OCI runtime exec failed: exec failed: unable to start container process: ${why}: unknown`;
  return why;
}

export interface TerminalSize {
  width: number;
  height: number;
}

/** The client's side of a remote command, whatever carries it. */
export interface RemoteCommandStreams {
  /** Data the client sends; ends when the client closes stdin (or the connection goes). */
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  /** Registers for terminal size changes (TTY sessions). */
  onResize(listener: (size: TerminalSize) => void): void;
  /** Aborts when the connection is lost before the session ended. */
  signal: AbortSignal;
  /** Writes the final Status (after all output) and closes the connection. */
  finish(status: StreamStatus): Promise<void>;
}

/** Ends `w` and waits until all that was written to it has been handed to the transport. */
export async function endAndFlush(w: Writable | undefined): Promise<void> {
  if (!w) return;
  if (!w.writableEnded) w.end();
  await finished(w, { readable: false }).catch(() => undefined);
}

/**
 * Runs one exec session: starts the command (`start`), joins its stdio to the client's streams,
 * and writes the Status once it exited and its output was delivered. A lost connection kills it.
 */
export async function serveExec(streams: RemoteCommandStreams, opts: RemoteCommandOptions, start: () => Promise<ExecProcess>): Promise<void> {
  let proc: ExecProcess;
  try {
    proc = await start();
  } catch (e) {
    streams.stdin?.resume();
    await streams.finish(internalErrorStatus(`error executing command in container: ${execStartFailure(e)}`));
    return;
  }
  const onAbort = () => proc.kill();
  if (streams.signal.aborted) proc.kill();
  streams.signal.addEventListener('abort', onAbort, { once: true });
  if (streams.stdin && proc.stdin) streams.stdin.pipe(proc.stdin);
  else {
    proc.stdin?.end();
    streams.stdin?.resume();
  }
  if (opts.tty) streams.onResize((s) => proc.resize(s.width, s.height));
  const outputs = [pipeOrDrain(proc.stdout, streams.stdout), pipeOrDrain(proc.stderr, streams.stderr)];
  const code = await proc.exited;
  await Promise.all(outputs);
  streams.signal.removeEventListener('abort', onAbort);
  if (streams.signal.aborted) return;
  await streams.finish(code === 0 ? successStatus() : exitCodeStatus(opts.command, code));
}

/** Copies `from` into `to` (ending it), or consumes `from` when the client did not ask for it. */
async function pipeOrDrain(from: Readable | undefined, to: Writable | undefined): Promise<void> {
  if (!from) return endAndFlush(to);
  if (!to) {
    from.resume();
    await finished(from).catch(() => undefined);
    return;
  }
  from.pipe(to);
  await finished(from).catch(() => undefined);
  await endAndFlush(to);
}
