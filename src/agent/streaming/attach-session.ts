/**
 * One `kubectl attach` session (and the attach of `kubectl run -i`): the container's output from
 * now on, read from its log until it exits, and the client's input written to the container's
 * stdin. What the end of the client's input does follows containerd's CRI attach
 * (internal/cri/io/container_io.go): a `stdinOnce` container without a TTY has its stdin closed
 * and the session goes on until the container exits; otherwise the session ends there and the
 * container's stdin stays open for a later attach. The TTY and stdinOnce settings come from the
 * container's spec, as the kubelet takes them (a process's terminal cannot change after start).
 */
import type { Writable } from 'node:stream';
import type { ContainerAttachment } from '../runtime/runtime.js';
import { endAndFlush, internalErrorStatus, successStatus, type RemoteCommandStreams } from './remote-command.js';

export interface AttachSource {
  /** From the container's spec. */
  tty: boolean;
  stdinOnce: boolean;
  /**
   * Streams output from now on into the writers; resolves when the container has exited or
   * `signal` aborted. Calls `positioned` once output written from then on is sure to be streamed.
   */
  follow(out: { stdout?: Writable; stderr?: Writable }, signal: AbortSignal, positioned: () => void): Promise<void>;
  /** The runtime's side of the session; absent when the runtime cannot attach (input is then dropped). */
  attach?(stdin: boolean): Promise<ContainerAttachment>;
}

export type InputEnd = 'close-stdin' | 'end-session';

/** What the end of an attach session's input does (the session had input for the container's stdin). */
export function attachInputEnd(container: { stdinOnce: boolean; tty: boolean }): InputEnd {
  return container.stdinOnce && !container.tty ? 'close-stdin' : 'end-session';
}

/** Runs one attach session and writes Success once the container exited or the input ended it. */
export async function serveAttach(streams: RemoteCommandStreams, source: AttachSource): Promise<void> {
  let attachment: ContainerAttachment | undefined;
  try {
    attachment = await source.attach?.(!!streams.stdin);
  } catch (e) {
    streams.stdin?.resume();
    if (!streams.signal.aborted) await streams.finish(internalErrorStatus(`error attaching to container: ${(e as Error).message}`));
    return;
  }
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  streams.signal.addEventListener('abort', onAbort, { once: true });
  if (source.tty && attachment) {
    const a = attachment;
    streams.onResize((s) => a.resize(s.width, s.height));
  }
  // Input is connected once the output is being followed, so no answer to it is missed.
  const connectInput = () => {
    const input = streams.stdin;
    const target = attachment?.stdin;
    if (!input || !target || !attachment) {
      target?.end();
      input?.resume();
      return;
    }
    const a = attachment;
    const effect = attachInputEnd(source);
    let ended = false;
    const inputEnded = () => {
      if (ended) return;
      ended = true;
      input.unpipe(target);
      target.end();
      if (effect === 'close-stdin') void a.closeStdin();
      else ac.abort();
    };
    input.pipe(target, { end: false });
    input.once('end', inputEnded);
    input.once('close', inputEnded);
    // A lost connection ends the input too (containerd's copy ends with the stream).
    streams.signal.addEventListener('abort', inputEnded, { once: true });
    if (streams.signal.aborted) inputEnded();
  };
  let connected = false;
  const positioned = () => {
    if (connected) return;
    connected = true;
    connectInput();
  };
  try {
    await source.follow({ stdout: streams.stdout, stderr: source.tty ? undefined : streams.stderr }, ac.signal, positioned);
    positioned();
  } catch (e) {
    positioned();
    if (!streams.signal.aborted) await streams.finish(internalErrorStatus(`error attaching to container: ${(e as Error).message}`));
    return;
  } finally {
    streams.signal.removeEventListener('abort', onAbort);
  }
  if (streams.signal.aborted) return;
  await Promise.all([endAndFlush(streams.stdout), endAndFlush(streams.stderr)]);
  await streams.finish(successStatus());
}
