/**
 * Remote command streams over SPDY (the kubelet's httpstream remote command transport): the client
 * opens one stream per purpose, named by its `streamType` header (error, stdin, stdout, stderr,
 * resize); the session starts once all the expected ones exist. The Status goes on the error
 * stream (JSON from v4, text before), then every stream is finished and the session says GOAWAY.
 */
import type { Duplex } from 'node:stream';
import { type RemoteCommandOptions, type RemoteCommandStreams, type StreamStatus, type TerminalSize, StreamProtocol } from './remote-command.js';
import { SpdySession, type SpdyStream } from './spdy-session.js';
import { encodeStatus, parseResize } from './ws-channels.js';

/** The remote command protocols served over SPDY, in the server's order of preference. */
export const spdyRemoteCommandProtocols: readonly string[] = [StreamProtocol.v4, StreamProtocol.v3, StreamProtocol.v2, StreamProtocol.v1];

/** How long the client has to open its streams (the kubelet's stream creation timeout). */
const STREAM_CREATION_TIMEOUT_MS = 30_000;

const versionOf = (protocol: string): number => (protocol === StreamProtocol.v4 ? 4 : protocol === StreamProtocol.v3 ? 3 : protocol === StreamProtocol.v2 ? 2 : 1);

/** The stream types a session waits for, by protocol version and options (kubelet's expectedStreams). */
export function expectedStreamTypes(version: number, opts: Pick<RemoteCommandOptions, 'stdin' | 'stdout' | 'stderr' | 'tty'>): string[] {
  const types = ['error'];
  if (opts.stdin) types.push('stdin');
  if (opts.stdout) types.push('stdout');
  if (opts.stderr) types.push('stderr');
  if (opts.tty && version >= 3) types.push('resize');
  return types;
}

/**
 * Waits for the client's streams on an upgraded socket (the 101 reply already written). Rejects
 * when the client does not open them in time or the connection goes first.
 */
export function spdyStreams(socket: Duplex, head: Buffer, protocol: string, opts: Pick<RemoteCommandOptions, 'stdin' | 'stdout' | 'stderr' | 'tty'>): Promise<RemoteCommandStreams> {
  const version = versionOf(protocol);
  const wanted = expectedStreamTypes(version, opts);
  const got = new Map<string, SpdyStream>();
  const ac = new AbortController();
  let done = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error('timed out waiting for client to create streams'));
    }, STREAM_CREATION_TIMEOUT_MS);
    timer.unref();
    const session: SpdySession = new SpdySession(
      socket,
      {
        onStream(stream) {
          const type = stream.header('streamtype') ?? '';
          if (!wanted.includes(type) || got.has(type)) return false;
          got.set(type, stream);
          if (got.size === wanted.length) {
            clearTimeout(timer);
            resolve(build());
          }
          return true;
        },
        onClose() {
          clearTimeout(timer);
          if (!done) ac.abort();
          reject(new Error('connection closed before the streams were created'));
        },
      },
      head,
    );

    const build = (): RemoteCommandStreams => {
      const error = got.get('error')!;
      const resize = got.get('resize');
      const listeners: ((s: TerminalSize) => void)[] = [];
      if (resize) {
        let pending = '';
        resize.on('data', (d: Buffer) => {
          pending += d.toString('utf8');
          const cut = pending.lastIndexOf('\n');
          if (cut < 0) return;
          for (const s of parseResize(Buffer.from(pending.slice(0, cut)))) for (const l of listeners) l(s);
          pending = pending.slice(cut + 1);
        });
      }
      // What the client sends on streams it only reads is dropped.
      for (const t of ['error', 'stdout', 'stderr']) got.get(t)?.resume();
      return {
        stdin: got.get('stdin'),
        stdout: got.get('stdout'),
        stderr: got.get('stderr'),
        signal: ac.signal,
        onResize: (l) => listeners.push(l),
        async finish(status: StreamStatus) {
          done = true;
          const body = encodeStatus(status, version);
          await new Promise<void>((r) => (body ? error.end(body, () => r()) : error.end(() => r())));
          for (const s of got.values()) if (!s.writableEnded) s.end();
          session.goAway();
        },
      };
    };
  });
}
