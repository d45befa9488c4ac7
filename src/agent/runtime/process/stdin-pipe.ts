/**
 * A container's stdin (`stdin: true`, and every `tty: true` container, whose terminal must not
 * see end of input while nobody is attached) as a FIFO in its state directory, so that attach
 * sessions of this or a later runtime instance can write to it:
 *
 *   stdin        the container reads it (fd 0); the keeper (exit-status.ts) holds it open
 *   stdin-close  a line written here ends the keeper: the container's stdin then reaches its end
 *
 * Writers open the FIFO non-blocking (a net.Socket over the fd, as log-pump.ts reads), so a
 * container that stopped reading never blocks the agent. Shared by the process and sandbox
 * runtimes.
 */
import { constants, openSync } from 'node:fs';
import net from 'node:net';
import type { Writable } from 'node:stream';
import type { ContainerAttachment, ContainerConfig } from '../runtime.js';
import { resizeTerminalOf } from '../../streaming/host-exec.js';
import { closeFd } from './log-pump.js';

export const STDIN_FIFO = 'stdin';
export const STDIN_CLOSE_FIFO = 'stdin-close';

/** Whether the container's process gets a stdin FIFO (else it reads /dev/null). */
export const hasStdinPipe = (config: Pick<ContainerConfig, 'stdin' | 'tty'>): boolean => !!(config.stdin || config.tty);

/**
 * The fds a container with stdin starts with: `keep`, read-write, for the keeper (fd 4), and
 * `read`, read-only, as its fd 0. Opening the read-write end first makes the read-only open
 * return at once (a FIFO's open for reading waits for a writer). The caller closes both once the
 * container has started.
 */
export function openContainerStdin(fifo: string): { keep: number; read: number } {
  const keep = openSync(fifo, constants.O_RDWR);
  try {
    return { keep, read: openSync(fifo, constants.O_RDONLY) };
  } catch (err) {
    closeFd(keep);
    throw err;
  }
}

/** A writer into the container's stdin, or undefined when nothing reads it any more (ENXIO). */
export function openStdinWriter(fifo: string): Writable | undefined {
  let fd: number;
  try {
    fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  const socket = new net.Socket({ fd, readable: false, writable: true });
  socket.on('error', () => undefined);
  return socket;
}

/**
 * Ends the keeper by writing a line to the close FIFO (CRI CloseIO of stdin). The keeper opens it
 * just after the container starts: a missing reader is retried briefly, then taken as a keeper
 * that is already gone.
 */
export async function closeContainerStdin(closeFifo: string, attempts = 20): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    let fd: number | undefined;
    try {
      fd = openSync(closeFifo, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch {
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    await new Promise<void>((resolve) => {
      const socket = new net.Socket({ fd, readable: false, writable: true });
      socket.on('error', () => resolve());
      socket.end('\n', () => resolve());
    });
    return;
  }
}

/**
 * An attach session on a running container of either runtime: its stdin FIFO when the container
 * has one, input is asked for and stdin was not closed for good (stdinOnce); resizes go to the
 * terminal of the container's process (found under `pid`, the wrapper) when it has a TTY.
 */
export function fifoAttachment(o: {
  /** The container's record: its stdin is marked closed on it (and saved) when the attach closes it. */
  record: { config: Pick<ContainerConfig, 'stdin' | 'tty'>; stdinClosed?: boolean; state: string };
  /** The container's stdin FIFO and the FIFO that tells its wrapper to close stdin. */
  stdinFifo: string;
  closeFifo: string;
  wantStdin: boolean;
  pid: number | undefined;
  save: () => Promise<void>;
}): ContainerAttachment {
  const rec = o.record;
  const config = rec.config;
  const stdinClosed = !!rec.stdinClosed;
  const closeStdin = async (): Promise<void> => {
    if (!hasStdinPipe(config) || rec.stdinClosed) return;
    rec.stdinClosed = true;
    await o.save();
    if (rec.state === 'CONTAINER_RUNNING') await closeContainerStdin(o.closeFifo);
  };
  const stdin = config.stdin && o.wantStdin && !stdinClosed ? openStdinWriter(o.stdinFifo) : undefined;
  let resizing = Promise.resolve();
  return {
    stdin,
    closeStdin,
    resize(width, height) {
      if (!config.tty || o.pid === undefined) return;
      const pid = o.pid;
      resizing = resizing.then(() => resizeTerminalOf(pid, width, height)).catch(() => undefined);
    },
  };
}
