/**
 * Forwarding of names outside the cluster to the host's resolvers (CoreDNS's `forward .
 * /etc/resolv.conf`): the query is relayed as-is under a fresh id, over UDP or TCP as the client
 * asked, to each upstream in turn until one answers within the timeout. Upstreams that are this
 * DNS server itself are skipped so that a host pointing at the cluster DNS cannot loop.
 */
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { isIP } from 'node:net';
import { parseResolvConf } from './resolv-conf.js';

export interface Upstream {
  host: string;
  port: number;
}

/** Sends a raw query upstream; resolves the raw reply (its id already the query's) or rejects. */
export interface Forwarder {
  forward(query: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer>;
}

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address. */
export function parseUpstream(text: string, defaultPort = 53): Upstream | undefined {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) return isIP(bracket[1]) ? { host: bracket[1], port: bracket[2] ? Number(bracket[2]) : defaultPort } : undefined;
  if (isIP(text)) return { host: text, port: defaultPort };
  const m = /^([^:]+):(\d+)$/.exec(text);
  if (m && isIP(m[1])) return { host: m[1], port: Number(m[2]) };
  return undefined;
}

/** The upstreams of a resolv.conf text, less those in `self` (`host:port` keys). */
export function upstreamsFromResolvConf(text: string, self: Set<string>): Upstream[] {
  return parseResolvConf(text)
    .nameservers.map((n) => parseUpstream(n.replace(/%.*$/, '')))
    .filter((u): u is Upstream => !!u && !self.has(`${u.host}:${u.port}`));
}

function udpExchange(up: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(up.host.includes(':') ? 'udp6' : 'udp4');
    const id = query.readUInt16BE(0);
    const timer = setTimeout(() => finish(new Error(`upstream ${up.host}:${up.port} timed out`)), timeoutMs);
    const finish = (err?: Error, reply?: Buffer) => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(reply!);
    };
    sock.on('error', (e) => finish(e));
    sock.on('message', (msg) => {
      if (msg.length >= 12 && msg.readUInt16BE(0) === id) finish(undefined, msg);
    });
    sock.send(query, up.port, up.host);
  });
}

function tcpExchange(up: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: up.host, port: up.port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error(`upstream ${up.host}:${up.port} timed out`)), timeoutMs);
    const finish = (err?: Error, reply?: Buffer) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    sock.on('error', (e) => finish(e));
    sock.on('close', () => finish(new Error(`upstream ${up.host}:${up.port} closed the connection`)));
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) finish(undefined, buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
  });
}

export interface ResolvConfForwarderOptions {
  /** The resolv.conf naming the upstreams; re-read at most every `rereadMs`. */
  resolvConfPath: string;
  /** `host:port` of this server's own listeners, never used as upstreams. */
  self: Set<string>;
  timeoutMs?: number;
  rereadMs?: number;
  now?: () => number;
}

export class ResolvConfForwarder implements Forwarder {
  private upstreams: Upstream[] = [];
  private readAt = -Infinity;

  constructor(private readonly opts: ResolvConfForwarderOptions) {}

  private async current(): Promise<Upstream[]> {
    const now = (this.opts.now ?? Date.now)();
    if (now - this.readAt >= (this.opts.rereadMs ?? 5000)) {
      this.readAt = now;
      try {
        this.upstreams = upstreamsFromResolvConf(await readFile(this.opts.resolvConfPath, 'utf8'), this.opts.self);
      } catch {
        this.upstreams = [];
      }
    }
    return this.upstreams;
  }

  async forward(query: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer> {
    const ups = await this.current();
    if (!ups.length) throw new Error('no upstream resolvers');
    const id = query.readUInt16BE(0);
    const relayed = Buffer.from(query);
    relayed.writeUInt16BE(randomInt(0, 65536), 0);
    let last: Error = new Error('no upstream answered');
    for (const up of ups) {
      try {
        const exchange = transport === 'udp' ? udpExchange : tcpExchange;
        const reply = Buffer.from(await exchange(up, relayed, this.opts.timeoutMs ?? 2000));
        reply.writeUInt16BE(id, 0);
        return reply;
      } catch (e) {
        last = e as Error;
      }
    }
    throw last;
  }
}
