/**
 * `kubectl port-forward` (the kubelet's pkg/kubelet/cri/streaming/portforward, protocol
 * `portforward.k8s.io`): over one SPDY session the client opens, per forwarded connection, an
 * `error` and a `data` stream sharing a `requestID` and naming the pod's `port`. The server joins
 * the data stream to a TCP connection to that port in the pod's network and writes a message on
 * the error stream if it cannot. kubectl 1.31+ tunnels the same SPDY session through a WebSocket
 * (sub-protocol `SPDY/3.1+portforward.k8s.io`); see webSocketDuplex.
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { SpdySession, type SpdyStream } from './spdy-session.js';
import { WebSocketConnection } from './websocket.js';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const PORT_FORWARD_TUNNEL_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

/** How long the client has to open the second stream of a pair (the kubelet's stream creation timeout). */
const PAIR_TIMEOUT_MS = 30_000;

export interface PortForwardTarget {
  /** Names the pod in messages (the kubelet says the sandbox id). */
  pod: string;
  uid: string;
  /** Opens a TCP connection to `port` in the pod's network; rejects with the dial error. */
  connect(port: number): Promise<Socket>;
}

/** Why a stream cannot be part of a forward, in the kubelet's words; undefined when it can. */
export function streamHeaderError(headers: { port?: string; streamType?: string }): string | undefined {
  const port = headers.port ?? '';
  if (!port) return '"port" header is required';
  if (!/^\d+$/.test(port) || Number(port) > 65535) return `unable to parse "${port}" as a port: strconv.ParseUint: parsing "${port}": invalid syntax`;
  if (Number(port) < 1) return `port "${port}" must be > 0`;
  const type = headers.streamType ?? '';
  if (!type) return '"streamType" header is required';
  if (type !== 'error' && type !== 'data') return `invalid stream type "${type}"`;
  return undefined;
}

/** A dial error as Go's net package words it (`dial tcp4 127.0.0.1:80: connect: connection refused`). */
export function dialErrorMessage(host: string, port: number, err: NodeJS.ErrnoException): string {
  const why: Record<string, string> = { ECONNREFUSED: 'connection refused', ETIMEDOUT: 'connection timed out', EHOSTUNREACH: 'no route to host', ENETUNREACH: 'network is unreachable' };
  const family = host.includes(':') ? 'tcp6' : 'tcp4';
  const addr = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return `dial ${family} ${addr}: connect: ${why[err.code ?? ''] ?? err.message}`;
}

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
  timer: NodeJS.Timeout;
}

/** Serves one port-forward session on `transport` (a socket after the 101, or a WebSocket tunnel). */
export function servePortForward(transport: Duplex, head: Buffer, target: PortForwardTarget): SpdySession {
  const pairs = new Map<string, Pair>();
  const conns = new Set<Socket>();
  const session = new SpdySession(
    transport,
    {
      onStream(stream) {
        if (streamHeaderError({ port: stream.header('port'), streamType: stream.header('streamtype') })) return false;
        const type = stream.header('streamtype') as 'error' | 'data';
        // Clients before request ids paired streams by id: the data stream follows its error stream.
        const requestId = stream.header('requestid') ?? String(type === 'error' ? stream.id : stream.id - 2);
        let pair = pairs.get(requestId);
        if (!pair) {
          const timer = setTimeout(() => {
            pairs.delete(requestId);
            const p = pair!;
            p.error?.end(`timed out waiting for the other stream of request ${requestId}`);
            p.data?.reset();
          }, PAIR_TIMEOUT_MS);
          timer.unref();
          pair = { timer };
          pairs.set(requestId, pair);
        }
        if (pair[type]) {
          pair.error?.end(`error processing stream for request ${requestId}: ${type} stream already assigned`);
          return false;
        }
        pair[type] = stream;
        if (pair.error && pair.data) {
          clearTimeout(pair.timer);
          pairs.delete(requestId);
          void forward(pair.error, pair.data, target, conns);
        }
        return true;
      },
      onClose() {
        for (const p of pairs.values()) clearTimeout(p.timer);
        pairs.clear();
        for (const c of conns) c.destroy();
      },
    },
    head,
  );
  return session;
}

async function forward(error: SpdyStream, data: SpdyStream, target: PortForwardTarget, conns: Set<Socket>): Promise<void> {
  error.resume();
  const port = Number(data.header('port'));
  let conn: Socket;
  try {
    conn = await target.connect(port);
  } catch (e) {
    error.end(`error forwarding port ${port} to pod ${target.pod}, uid ${target.uid}: ${(e as Error).message}`);
    data.end();
    return;
  }
  conns.add(conn);
  const closeAll = () => {
    conns.delete(conn);
    conn.destroy();
    if (!error.writableEnded) error.end();
    if (!data.destroyed && !data.writableEnded) data.end();
  };
  conn.on('error', closeAll);
  conn.on('close', closeAll);
  data.on('close', () => conn.destroy());
  data.pipe(conn);
  conn.pipe(data);
}

/**
 * A WebSocket carrying a byte stream in binary messages (the port-forward tunnel): reads are the
 * messages' payloads in order, writes become messages, ending it closes the WebSocket.
 */
export function webSocketDuplex(socket: Duplex, head: Buffer): Duplex {
  const duplex: Duplex = new Duplex({
    read() {
      ws.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (!ws.isOpen || ws.send(chunk)) return cb();
      void ws.drained().then(() => cb());
    },
    final(cb) {
      ws.close(1000);
      cb();
    },
    destroy(err, cb) {
      ws.destroy();
      cb(err);
    },
  });
  const ws: WebSocketConnection = new WebSocketConnection(
    socket,
    {
      onMessage(data) {
        if (!duplex.push(data)) ws.pause();
      },
      onClose() {
        // What was received is still read out before the end.
        duplex.once('end', () => duplex.destroy());
        duplex.push(null);
      },
    },
    head,
  );
  return duplex;
}
