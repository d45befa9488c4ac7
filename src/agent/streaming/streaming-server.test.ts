/**
 * The agent's streaming endpoints end to end over real sockets, with test clients that speak
 * WebSocket (as kubectl 1.30+) and SPDY/3.1 (as older kubectl and every port-forward) against a
 * runtime whose containers are fakes and whose exec runs real host processes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { constants as zc, createDeflate } from 'node:zlib';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerRuntime, ContainerStatus, PodSandboxStatus } from '../runtime/runtime.js';
import { RuntimeError } from '../runtime/runtime.js';
import { startHostExec } from './host-exec.js';
import { FrameDecoder as SpdyDecoder, FrameType, HeaderInflater, SPDY_DICTIONARY, decodeHeaderBlock, encodeData, encodeHeaderBlock, encodeSynStream, frameStreamId } from './spdy-framer.js';
import { StreamingServer, parseStreamPath } from './streaming-server.js';
import { FrameDecoder as WsDecoder, Opcode, encodeFrame } from './websocket.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} } as never;
const pod = (name: string, uid: string): Pod => ({ metadata: { name, namespace: 'default', uid }, spec: { containers: [{ name: 'c' }] } }) as Pod;

function fakeRuntime(logPath: string): ContainerRuntime & { exited: Set<string> } {
  const sandbox: PodSandboxStatus = { id: 'sb1', metadata: { name: 'p', namespace: 'default', uid: 'u1', attempt: 0 }, state: 'SANDBOX_READY', createdAt: 1, ips: [], labels: {}, annotations: {} };
  const exited = new Set<string>();
  const status = (): ContainerStatus => ({
    id: 'c1', sandboxId: 'sb1', metadata: { name: 'c', attempt: 0 }, state: exited.has('c1') ? 'CONTAINER_EXITED' : 'CONTAINER_RUNNING', image: 'x', createdAt: 1, startedAt: 1, finishedAt: 0,
    exitCode: 0, reason: '', message: '', logPath, labels: {}, annotations: {},
  });
  return {
    name: 'fake',
    exited,
    listPodSandboxes: async () => [sandbox],
    listContainers: async () => [status()],
    containerStatus: async () => status(),
    exec: async (_id: string, cmd: string[], o: { tty: boolean; stdin: boolean }) => {
      if (cmd[0] === 'nope') throw new RuntimeError('RunContainerError', 'exec: "nope": executable file not found in $PATH');
      return startHostExec({ file: '/bin/sh', argv: cmd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, cwd: '/', tty: o.tty, stdin: o.stdin });
    },
  } as unknown as ContainerRuntime & { exited: Set<string> };
}

interface Upgraded {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  socket?: Duplex;
  body?: string;
}

function upgrade(port: number, pathQuery: string, headers: Record<string, string | string[]>): Promise<Upgraded> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path: pathQuery, method: 'GET', headers });
    r.on('upgrade', (res, socket, head) => {
      if (head.length) socket.unshift(head);
      resolve({ status: res.statusCode!, headers: res.headers, socket });
    });
    r.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

/** A WebSocket client session: sends masked binary messages, collects the server's by channel as they come. */
async function wsOpen(port: number, pathQuery: string, protocol: string, input?: { stdin?: string; close?: boolean; resize?: string }) {
  const up = await upgrade(port, pathQuery, { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), 'Sec-WebSocket-Protocol': protocol });
  assert.equal(up.status, 101, up.body);
  assert.equal(up.headers['sec-websocket-protocol'], protocol);
  const socket = up.socket!;
  const send = (b: Buffer) => socket.write(encodeFrame(Opcode.Binary, b, true, randomBytes(4)));
  if (input?.resize) send(Buffer.concat([Buffer.of(4), Buffer.from(input.resize)]));
  if (input?.stdin) send(Buffer.concat([Buffer.of(0), Buffer.from(input.stdin)]));
  if (input?.close) send(Buffer.of(255, 0));
  const channels: Record<number, string> = {};
  const dec = new WsDecoder(false);
  const closed = new Promise<number | undefined>((resolve) => {
    let code: number | undefined;
    socket.on('data', (chunk: Buffer) => {
      for (const f of dec.push(chunk)) {
        if (f.opcode === Opcode.Binary) channels[f.payload[0]!] = (channels[f.payload[0]!] ?? '') + f.payload.subarray(1).toString();
        if (f.opcode === Opcode.Close) {
          code = f.payload.readUInt16BE(0);
          socket.end(encodeFrame(Opcode.Close, f.payload, true, randomBytes(4)));
        }
      }
    });
    socket.on('close', () => resolve(code));
  });
  return { channels, closed };
}

async function wsExec(port: number, pathQuery: string, protocol: string, input?: { stdin?: string; close?: boolean; resize?: string }) {
  const s = await wsOpen(port, pathQuery, protocol, input);
  const closeCode = await s.closed;
  return { channels: s.channels, closeCode };
}

/** A SPDY client: opens streams with compressed headers and reads what the server sends per stream. */
class SpdyClient {
  private readonly z = createDeflate({ dictionary: SPDY_DICTIONARY });
  private readonly inflater = new HeaderInflater();
  private next = 1;
  readonly data = new Map<number, string>();
  readonly fin = new Set<number>();
  readonly replied = new Set<number>();
  goAway = false;
  replyHeaders?: Record<string, string[]>;
  private waiters: (() => void)[] = [];

  private readonly dec = new SpdyDecoder();

  constructor(private readonly write: (b: Buffer) => void) {}

  static over(socket: Duplex): SpdyClient {
    const c = new SpdyClient((b) => socket.write(b));
    socket.on('data', (d: Buffer) => c.receive(d));
    return c;
  }

  receive(chunk: Buffer): void {
    {
      for (const f of this.dec.push(chunk)) {
        if (f.kind === 'data') {
          this.data.set(f.streamId, (this.data.get(f.streamId) ?? '') + f.data.toString());
          if (f.flags & 1) this.fin.add(f.streamId);
        } else if (f.type === FrameType.synReply) {
          this.replied.add(frameStreamId(f.payload));
          void this.inflater
            .inflate(f.payload.subarray(4))
            .then((b) => (this.replyHeaders = { ...decodeHeaderBlock(b) }))
            .catch(() => undefined);
        } else if (f.type === FrameType.goAway) this.goAway = true;
      }
      for (const w of this.waiters.splice(0)) w();
    }
  }

  async open(headers: Record<string, string>): Promise<number> {
    const id = this.next;
    this.next += 2;
    const block = await new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      const on = (c: Buffer) => parts.push(c);
      this.z.on('data', on);
      this.z.write(encodeHeaderBlock(Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]))));
      this.z.flush(zc.Z_SYNC_FLUSH, () => {
        this.z.off('data', on);
        resolve(Buffer.concat(parts));
      });
    });
    this.write(encodeSynStream(id, block));
    return id;
  }

  send(id: number, data: string, fin = false): void {
    this.write(encodeData(id, Buffer.from(data), fin));
  }

  async until(cond: () => boolean): Promise<void> {
    while (!cond()) await new Promise<void>((r) => this.waiters.push(r));
  }

  close(): void {
    this.z.close();
    this.inflater.close();
  }
}

describe('agent streaming server', () => {
  let http: Server;
  let port: number;
  let streaming: StreamingServer;
  let runtime: ReturnType<typeof fakeRuntime>;
  let dir: string;
  let logPath: string;
  let echo: TcpServer;
  let echoPort: number;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'capstan-streaming-'));
    logPath = path.join(dir, '0.log');
    await writeFile(logPath, '');
    runtime = fakeRuntime(logPath);
    streaming = new StreamingServer({ runtime, pod: (ns, name) => (ns === 'default' && name === 'p' ? pod('p', 'u1') : undefined), logger: silent });
    http = createServer((_q, s) => s.end());
    http.on('upgrade', (req, socket, head) => streaming.handle(req, socket, head));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    port = (http.address() as AddressInfo).port;
    echo = createTcpServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as AddressInfo).port;
  });
  after(async () => {
    streaming.close();
    await new Promise((r) => http.close(r));
    await new Promise((r) => echo.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  test('paths are the kubelet’s, with or without the pod uid', () => {
    assert.deepEqual(parseStreamPath('/exec/ns/p/c'), { kind: 'exec', namespace: 'ns', pod: 'p', container: 'c' });
    assert.deepEqual(parseStreamPath('/attach/ns/p/uid/c'), { kind: 'attach', namespace: 'ns', pod: 'p', uid: 'uid', container: 'c' });
    assert.deepEqual(parseStreamPath('/portForward/ns/p'), { kind: 'portforward', namespace: 'ns', pod: 'p' });
    assert.equal(parseStreamPath('/exec/ns/p'), undefined);
    assert.equal(parseStreamPath('/containerLogs/ns/p/c'), undefined);
  });

  test('v5 WebSocket exec: stdin until the close signal, stdout and stderr apart, the exit code in the Status', async () => {
    const q = new URLSearchParams([['command', 'sh'], ['command', '-c'], ['command', 'cat; echo err >&2; exit 3'], ['input', '1'], ['output', '1'], ['error', '1']]);
    const { channels, closeCode } = await wsExec(port, `/exec/default/p/c?${q}`, 'v5.channel.k8s.io', { stdin: 'hello\n', close: true });
    assert.equal(channels[1], 'hello\n');
    assert.equal(channels[2], 'err\n');
    const status = JSON.parse(channels[3]!);
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.deepEqual(status.details.causes, [{ reason: 'ExitCode', message: '3' }]);
    assert.equal(closeCode, 1000);
  });

  test('v4 WebSocket exec with a TTY runs the command on a terminal', async () => {
    const q = new URLSearchParams([['command', 'sh'], ['command', '-c'], ['command', 'test -t 0 && echo on-a-tty'], ['input', '1'], ['output', '1'], ['tty', '1']]);
    const { channels } = await wsExec(port, `/exec/default/p/c?${q}`, 'v4.channel.k8s.io', { resize: '{"Width":100,"Height":30}' });
    assert.match(channels[1] ?? '', /on-a-tty/);
    assert.deepEqual(JSON.parse(channels[3]!), { metadata: {}, status: 'Success' });
  });

  test('a command that cannot start ends with an InternalError Status', async () => {
    const { channels } = await wsExec(port, '/exec/default/p/c?command=nope&output=1', 'v5.channel.k8s.io');
    const status = JSON.parse(channels[3]!);
    assert.equal(status.reason, 'InternalError');
    assert.match(status.message, /executable file not found/);
  });

  test('errors before the upgrade are plain-text answers in the kubelet’s words', async () => {
    const ws = { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), 'Sec-WebSocket-Protocol': 'v5.channel.k8s.io' };
    const noPod = await upgrade(port, '/exec/default/other/c?command=ls&output=1', ws);
    assert.deepEqual([noPod.status, noPod.body], [404, 'pod does not exist\n']);
    const noContainer = await upgrade(port, '/exec/default/p/d?command=ls&output=1', ws);
    assert.deepEqual([noContainer.status, noContainer.body], [500, 'container not found ("d")\n']);
    const noStreams = await upgrade(port, '/exec/default/p/c?command=ls', ws);
    assert.deepEqual([noStreams.status, noStreams.body], [400, 'you must specify at least 1 of stdin, stdout, stderr\n']);
    const spdy = await upgrade(port, '/exec/default/p/c?command=ls&output=1', { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v9.channel.k8s.io' });
    assert.equal(spdy.status, 403);
    assert.match(spdy.body!, /unable to negotiate protocol/);
  });

  test('SPDY exec (v4): streams by type, output with FIN, the Status on the error stream, then GOAWAY', async () => {
    const q = new URLSearchParams([['command', 'sh'], ['command', '-c'], ['command', 'cat; exit 2'], ['input', '1'], ['output', '1'], ['error', '1']]);
    const up = await upgrade(port, `/exec/default/p/c?${q}`, {
      Connection: 'Upgrade',
      Upgrade: 'SPDY/3.1',
      'X-Stream-Protocol-Version': ['v4.channel.k8s.io', 'v3.channel.k8s.io'],
    });
    assert.equal(up.status, 101);
    assert.equal(up.headers['x-stream-protocol-version'], 'v4.channel.k8s.io');
    const c = SpdyClient.over(up.socket!);
    const error = await c.open({ streamtype: 'error' });
    const stdin = await c.open({ streamtype: 'stdin' });
    const stdout = await c.open({ streamtype: 'stdout' });
    const stderr = await c.open({ streamtype: 'stderr' });
    await c.until(() => c.replied.size === 4);
    c.send(stdin, 'via spdy\n', true);
    await c.until(() => c.goAway);
    assert.equal(c.data.get(stdout), 'via spdy\n');
    assert.ok(c.fin.has(stdout) && c.fin.has(stderr) && c.fin.has(error));
    assert.deepEqual(JSON.parse(c.data.get(error)!).details.causes, [{ reason: 'ExitCode', message: '2' }]);
    assert.deepEqual(c.replyHeaders, {});
    c.close();
    up.socket!.destroy();
  });

  test('SPDY port-forward joins a data stream to the port and reports refused ports on the error stream', async () => {
    const up = await upgrade(port, '/portForward/default/p', { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io' });
    assert.equal(up.status, 101);
    const c = SpdyClient.over(up.socket!);
    await c.open({ streamtype: 'error', port: String(echoPort), requestid: '0' });
    const data = await c.open({ streamtype: 'data', port: String(echoPort), requestid: '0' });
    c.send(data, 'ping over the tunnel');
    await c.until(() => c.data.get(data) === 'ping over the tunnel');
    c.send(data, '', true);
    await c.until(() => c.fin.has(data));
    const closed = createTcpServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await c.open({ streamtype: 'error', port: String(deadPort), requestid: '1' });
    await c.open({ streamtype: 'data', port: String(deadPort), requestid: '1' });
    await c.until(() => c.fin.has(err));
    assert.match(c.data.get(err)!, new RegExp(`^error forwarding port ${deadPort} to pod sb1, uid : failed to connect to localhost:${deadPort} .*connection refused`));
    c.close();
    up.socket!.destroy();
  });

  test('port-forward through the WebSocket tunnel carries the same SPDY session', async () => {
    const up = await upgrade(port, '/portForward/default/p', {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      'Sec-WebSocket-Protocol': 'SPDY/3.1+portforward.k8s.io',
    });
    assert.equal(up.status, 101);
    assert.equal(up.headers['sec-websocket-protocol'], 'SPDY/3.1+portforward.k8s.io');
    // The client's side of the tunnel: SPDY bytes go out in masked messages and come back in plain ones.
    const raw = up.socket!;
    const dec = new WsDecoder(false);
    const c = new SpdyClient((b) => raw.write(encodeFrame(Opcode.Binary, b, true, randomBytes(4))));
    raw.on('data', (chunk: Buffer) => {
      for (const f of dec.push(chunk)) if (f.opcode === Opcode.Binary) c.receive(f.payload);
    });
    await c.open({ streamtype: 'error', port: String(echoPort), requestid: '0' });
    const data = await c.open({ streamtype: 'data', port: String(echoPort), requestid: '0' });
    c.send(data, 'through websocket');
    await c.until(() => c.data.get(data) === 'through websocket');
    c.close();
    raw.destroy();
  });

  test('attach streams the container’s new output until it exits, then Success', async () => {
    const record = (stream: string, text: string) => `${new Date().toISOString()} ${stream} F ${text}\n`;
    const session = await wsOpen(port, '/attach/default/p/c?output=1&error=1', 'v5.channel.k8s.io');
    const { channels } = session;
    // New output keeps coming until the client has seen some; then the container exits.
    let ended = false;
    void session.closed.then(() => (ended = true));
    for (let n = 0; !ended && n < 400; n++) {
      await appendFile(logPath, record('stdout', `line ${n}`) + record('stderr', `eline ${n}`));
      if (/line/.test(channels[1] ?? '') && /eline/.test(channels[2] ?? '')) runtime.exited.add('c1');
      await new Promise((r) => setTimeout(r, 25));
    }
    await session.closed;
    assert.match(channels[1] ?? '', /line \d+\n/);
    assert.doesNotMatch(channels[1] ?? '', /eline/);
    assert.deepEqual(JSON.parse(channels[3]!), { metadata: {}, status: 'Success' });
  });
});
