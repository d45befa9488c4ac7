/**
 * Remote command streams over WebSocket "channel" sub-protocols (wsstream): each binary message
 * starts with a channel byte: 0 stdin, 1 stdout, 2 stderr, 3 error (the final Status), 4 resize
 * (`{"Width":W,"Height":H}`, v3 on). v5 adds a close signal, `[255, channel]`, by which the client
 * ends stdin; before v5 stdin only ends with the connection. Before v4 the error channel carries
 * the failure message as text and nothing on success; from v4 on, the Status as JSON.
 */
import { PassThrough, Writable } from 'node:stream';
import { type RemoteCommandOptions, type RemoteCommandStreams, type StreamStatus, type TerminalSize, StreamProtocol } from './remote-command.js';
import { WebSocketConnection } from './websocket.js';
import type { Duplex } from 'node:stream';

export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** The sub-protocols served for exec and attach, in the server's order of preference. */
export const channelProtocols: readonly string[] = [StreamProtocol.v5, StreamProtocol.v4, StreamProtocol.v3, StreamProtocol.v2, StreamProtocol.v1, ''];

const versionOf = (protocol: string): number => (protocol === StreamProtocol.v5 ? 5 : protocol === StreamProtocol.v4 ? 4 : protocol === StreamProtocol.v3 ? 3 : protocol === StreamProtocol.v2 ? 2 : 1);

/** The bytes written on the error channel for `status` in protocol version `version`. */
export function encodeStatus(status: StreamStatus, version: number): Buffer | undefined {
  if (version >= 4) return Buffer.from(JSON.stringify(status));
  return status.status === 'Success' ? undefined : Buffer.from(status.message ?? '');
}

/** Parses resize messages: one JSON object per message, or several separated by newlines. */
export function parseResize(data: Buffer): TerminalSize[] {
  const out: TerminalSize[] = [];
  for (const line of data.toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as { Width?: unknown; Height?: unknown };
      if (typeof v.Width === 'number' && typeof v.Height === 'number') out.push({ width: v.Width, height: v.Height });
    } catch {
      // a malformed size is ignored, as the kubelet does
    }
  }
  return out;
}

/**
 * Opens the streams of one session on an upgraded socket (the 101 reply already written). The
 * streams asked for in `opts` exist; an empty message on the lowest output channel tells the
 * client the session has started, as the kubelet does.
 */
export function webSocketStreams(socket: Duplex, head: Buffer, protocol: string, opts: Pick<RemoteCommandOptions, 'stdin' | 'stdout' | 'stderr' | 'tty'>): RemoteCommandStreams {
  const version = versionOf(protocol);
  const ac = new AbortController();
  const resizeListeners: ((s: TerminalSize) => void)[] = [];
  let done = false;
  const stdin = opts.stdin ? new PassThrough({ highWaterMark: 256 * 1024 }) : undefined;
  let paused = false;

  const ws: WebSocketConnection = new WebSocketConnection(
    socket,
    {
      onMessage: (data) => {
        if (!data.length) return;
        const ch = data[0]!;
        const body = data.subarray(1);
        if (ch === Channel.stdin && stdin && !stdin.writableEnded) {
          if (!stdin.write(body) && !paused) {
            paused = true;
            ws.pause();
            stdin.once('drain', () => {
              paused = false;
              ws.resume();
            });
          }
        } else if (ch === Channel.resize && version >= 3) {
          for (const s of parseResize(body)) for (const l of resizeListeners) l(s);
        } else if (ch === Channel.close && version >= 5 && body[0] === Channel.stdin) {
          stdin?.end();
        }
      },
      onClose: () => {
        if (stdin && !stdin.writableEnded) stdin.end();
        if (!done) ac.abort();
      },
    },
    head,
  );

  const channelWriter = (ch: number) =>
    new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _enc, cb) {
        if (!ws.isOpen) return cb();
        if (ws.send(Buffer.concat([Buffer.of(ch), chunk]))) cb();
        else void ws.drained().then(() => cb());
      },
    });

  const stdout = opts.stdout ? channelWriter(Channel.stdout) : undefined;
  const stderr = opts.stderr ? channelWriter(Channel.stderr) : undefined;
  ws.send(Buffer.of(opts.stdout ? Channel.stdout : opts.stderr ? Channel.stderr : Channel.error));

  return {
    stdin,
    stdout,
    stderr,
    signal: ac.signal,
    onResize: (l) => resizeListeners.push(l),
    async finish(status: StreamStatus) {
      done = true;
      const body = encodeStatus(status, version);
      if (body) ws.send(Buffer.concat([Buffer.of(Channel.error), body]));
      await ws.drained();
      ws.close(1000);
    },
  };
}
