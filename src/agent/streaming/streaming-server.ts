/**
 * The agent's streaming endpoints (the kubelet server's /exec, /attach and /portForward), reached
 * as upgraded connections proxied by the API server. It finds the pod's running container or
 * sandbox, negotiates the transport (WebSocket channels, SPDY/3.1, or the WebSocket tunnel of
 * SPDY for port-forward) and runs the session. Errors before the upgrade are plain-text HTTP
 * responses, as the kubelet writes them; the API server passes them on to the client.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex, Writable } from 'node:stream';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../util/logger.js';
import { readContainerLogs } from '../logs/cri-log-reader.js';
import type { ContainerRuntime, ContainerStatus, PodSandboxStatus } from '../runtime/runtime.js';
import { dialErrorMessage, PORT_FORWARD_PROTOCOL, PORT_FORWARD_TUNNEL_PROTOCOL, servePortForward, webSocketDuplex } from './port-forward.js';
import { BadStreamRequest, type RemoteCommandOptions, type RemoteCommandStreams, parseRemoteCommandOptions, serveExec } from './remote-command.js';
import { type AttachSource, serveAttach } from './attach-session.js';
import { spdyRemoteCommandProtocols, spdyStreams } from './spdy-streams.js';
import { handshake, headerList, isWebSocketRequest } from './websocket.js';
import { channelProtocols, webSocketStreams } from './ws-channels.js';

export type StreamRequest =
  | { kind: 'exec' | 'attach'; namespace: string; pod: string; uid?: string; container: string }
  | { kind: 'portforward'; namespace: string; pod: string; uid?: string };

/** The kubelet's streaming paths, with or without the pod's uid. */
export function parseStreamPath(pathname: string): StreamRequest | undefined {
  const parts = pathname.split('/').slice(1).map((p) => decodeURIComponent(p));
  if (parts.some((p) => p === '')) return undefined;
  const [verb, namespace, pod, ...rest] = parts;
  if (!namespace || !pod) return undefined;
  if (verb === 'exec' || verb === 'attach') {
    if (rest.length === 1) return { kind: verb, namespace, pod, container: rest[0]! };
    if (rest.length === 2) return { kind: verb, namespace, pod, uid: rest[0]!, container: rest[1]! };
    return undefined;
  }
  if (verb === 'portForward') {
    if (rest.length === 0) return { kind: 'portforward', namespace, pod };
    if (rest.length === 1) return { kind: 'portforward', namespace, pod, uid: rest[0]! };
  }
  return undefined;
}

/** Picks the SPDY stream protocol: the client's first that the server has (httpstream.Handshake). */
export function negotiateSpdyProtocol(offered: string[], supported: readonly string[]): string | undefined {
  return offered.find((p) => supported.includes(p));
}

const isSpdyRequest = (req: IncomingMessage) =>
  (req.headers.upgrade ?? '').toLowerCase() === 'spdy/3.1' && headerList(req.headers.connection).some((v) => v.toLowerCase() === 'upgrade');

/** An HTTP error answered on the raw socket before any upgrade. */
export class StreamingError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly headers: Record<string, string[]> = {},
  ) {
    super(message);
  }
}

export function rejectUpgrade(socket: Duplex, code: number, message: string, headers: Record<string, string[]> = {}): void {
  const body = Buffer.from(`${message}\n`);
  const lines = [`HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Error'}`, 'Content-Type: text/plain; charset=utf-8', 'X-Content-Type-Options: nosniff', `Content-Length: ${body.length}`, 'Connection: close'];
  for (const [k, vs] of Object.entries(headers)) for (const v of vs) lines.push(`${k}: ${v}`);
  socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), body]));
}

export interface StreamingServerOptions {
  runtime: ContainerRuntime;
  /** The pod as the agent knows it (its informer). */
  pod(namespace: string, name: string): Pod | undefined;
  logger: Logger;
}

export class StreamingServer {
  private readonly sockets = new Set<Duplex>();

  constructor(private readonly opts: StreamingServerOptions) {}

  /** Serves one upgrade request whose client is already authorized. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    this.serve(req, socket, head).catch((e: unknown) => {
      if (e instanceof StreamingError) return rejectUpgrade(socket, e.code, e.message, e.headers);
      // After the upgrade there is no HTTP left to answer with: the session just ends.
      this.opts.logger.warn('streaming session failed', { url: req.url, error: (e as Error).message });
      socket.destroy();
    });
  }

  /** Ends every session (their commands are killed). */
  close(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private async serve(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://agent');
    const target = parseStreamPath(url.pathname);
    if (!target) throw new StreamingError(404, '404 page not found');
    if (req.method !== 'GET' && req.method !== 'POST') throw new StreamingError(405, 'Method Not Allowed');
    const pod = this.opts.pod(target.namespace, target.pod);
    if (!pod) throw new StreamingError(404, 'pod does not exist');
    if (target.uid && pod.metadata?.uid !== target.uid) throw new StreamingError(404, 'pod not found');
    if (target.kind === 'portforward') return this.portForward(req, socket, head, pod);

    let opts: RemoteCommandOptions;
    try {
      opts = parseRemoteCommandOptions(url.searchParams);
    } catch (e) {
      if (e instanceof BadStreamRequest) throw new StreamingError(400, e.message);
      throw e;
    }
    const container = await this.runningContainer(pod, target.container);
    const streams = await this.openStreams(req, socket, head, opts);
    const runtime = this.opts.runtime;
    if (target.kind === 'exec') {
      await serveExec(streams, opts, async () => {
        if (!runtime.exec) throw new Error(`the ${runtime.name} runtime does not support streaming exec`);
        return runtime.exec(container.id, opts.command, { tty: opts.tty, stdin: opts.stdin });
      });
    } else await serveAttach(streams, this.attachSource(container, containerSpec(pod, target.container)));
  }

  private async openStreams(req: IncomingMessage, socket: Duplex, head: Buffer, opts: RemoteCommandOptions): Promise<RemoteCommandStreams> {
    if (isWebSocketRequest(req)) {
      const hs = handshake(req, channelProtocols);
      if (!hs.ok) throw new StreamingError(hs.code, hs.message);
      socket.write(hs.response);
      return webSocketStreams(socket, head, hs.protocol, opts);
    }
    const protocol = this.spdyHandshake(req, socket, spdyRemoteCommandProtocols);
    return spdyStreams(socket, head, protocol, opts);
  }

  /** Answers a SPDY upgrade with the negotiated X-Stream-Protocol-Version, or throws the refusal. */
  private spdyHandshake(req: IncomingMessage, socket: Duplex, supported: readonly string[]): string {
    if (!isSpdyRequest(req)) throw new StreamingError(400, 'unable to upgrade: missing upgrade headers in request');
    const offered = headerList(req.headers['x-stream-protocol-version']);
    if (!offered.length) throw new StreamingError(400, 'unable to upgrade: X-Stream-Protocol-Version is required');
    const protocol = negotiateSpdyProtocol(offered, supported);
    if (!protocol)
      throw new StreamingError(403, `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${supported.join(' ')}]`, {
        'X-Accepted-Stream-Protocol-Versions': [...supported],
      });
    socket.write(['HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade', 'Upgrade: SPDY/3.1', `X-Stream-Protocol-Version: ${protocol}`, '', ''].join('\r\n'));
    return protocol;
  }

  private async podSandboxes(pod: Pod): Promise<PodSandboxStatus[]> {
    const uid = pod.metadata?.uid ?? '';
    return (await this.opts.runtime.listPodSandboxes()).filter((s) => s.metadata.uid === uid).sort((a, b) => b.createdAt - a.createdAt);
  }

  /** The pod's running container of that name (the kubelet's findContainer over running pods). */
  private async runningContainer(pod: Pod, name: string): Promise<ContainerStatus> {
    const sandboxIds = new Set((await this.podSandboxes(pod)).map((s) => s.id));
    const running = (await this.opts.runtime.listContainers())
      .filter((c) => sandboxIds.has(c.sandboxId) && c.metadata.name === name && c.state === 'CONTAINER_RUNNING')
      .sort((a, b) => b.createdAt - a.createdAt);
    if (!running[0]) throw new StreamingError(500, `container not found (${JSON.stringify(name)})`);
    return running[0];
  }

  private attachSource(container: ContainerStatus, spec: Container | undefined): AttachSource {
    const runtime = this.opts.runtime;
    let done = false;
    const isDone = () => {
      if (!done) void runtime.containerStatus(container.id).then((s) => (done = !s || s.state !== 'CONTAINER_RUNNING'));
      return done;
    };
    const writer = (w: Writable) => (chunk: Buffer) =>
      new Promise<void>((resolve) => {
        if (w.destroyed || w.write(chunk)) return resolve();
        const go = () => {
          w.off('drain', go);
          w.off('close', go);
          resolve();
        };
        w.on('drain', go);
        w.on('close', go);
      });
    return {
      tty: !!spec?.tty,
      stdinOnce: !!spec?.stdinOnce,
      attach: runtime.attach ? (stdin) => runtime.attach!(container.id, { stdin }) : undefined,
      async follow(out, signal, positioned) {
        const streams = (['stdout', 'stderr'] as const).filter((s) => out[s]);
        let waiting = streams.length;
        const onPositioned = () => --waiting === 0 && positioned();
        if (waiting === 0) positioned();
        const reads = streams.map((stream) => readContainerLogs(container.logPath, { follow: true, tailLines: 0, stream }, writer(out[stream]!), { signal, isDone, onPositioned }));
        await Promise.all(reads);
      },
    };
  }

  private async portForward(req: IncomingMessage, socket: Duplex, head: Buffer, pod: Pod): Promise<void> {
    const podName = `${pod.metadata?.name}_${pod.metadata?.namespace}`;
    const sandbox = (await this.podSandboxes(pod)).find((s) => s.state === 'SANDBOX_READY');
    if (!sandbox) throw new StreamingError(500, `pod not found (${JSON.stringify(podName)})`);
    const target = { pod: sandbox.id, uid: '', connect: (port: number) => connectInPod(sandbox, port) };
    if (isWebSocketRequest(req)) {
      const hs = handshake(req, [PORT_FORWARD_TUNNEL_PROTOCOL]);
      if (!hs.ok) throw new StreamingError(hs.code, hs.message);
      socket.write(hs.response);
      servePortForward(webSocketDuplex(socket, head), Buffer.alloc(0), target);
      return;
    }
    this.spdyHandshake(req, socket, [PORT_FORWARD_PROTOCOL]);
    servePortForward(socket, head, target);
  }
}

/** The pod's container (or init or ephemeral container) of that name, as the kubelet's GetContainerSpec. */
function containerSpec(pod: Pod, name: string): Container | undefined {
  const spec = pod.spec;
  return [...(spec?.containers ?? []), ...(spec?.initContainers ?? []), ...((spec?.ephemeralContainers ?? []) as Container[])].find((c) => c.name === name);
}

function dial(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host, port });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', (e: NodeJS.ErrnoException) => reject(new Error(dialErrorMessage(host, port, e))));
  });
}

/**
 * Connects to a port in the pod's network: its IP when it has its own, else (host network) the
 * node's loopback, IPv4 then IPv6, worded as containerd's port forwarder.
 */
async function connectInPod(sandbox: PodSandboxStatus, port: number): Promise<Socket> {
  const ip = sandbox.ips[0];
  if (ip) return dial(ip, port);
  try {
    return await dial('127.0.0.1', port);
  } catch (e4) {
    try {
      return await dial('::1', port);
    } catch (e6) {
      throw new Error(`failed to connect to localhost:${port} inside namespace ${JSON.stringify(sandbox.id)}, IPv4: ${(e4 as Error).message} IPv6 ${(e6 as Error).message} `);
    }
  }
}
