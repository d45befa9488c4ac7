/**
 * The DNS server's sockets: UDP datagrams and TCP streams of 2-byte length-prefixed messages
 * (RFC 1035 §4.2) on one address and port, handing each query to a handler. Closed by `close()`.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';

export interface QueryHandler {
  handle(packet: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined>;
}

/** How long an idle TCP connection stays open. */
const tcpIdleMs = 10_000;

export class DnsListener {
  private udp?: Socket;
  private tcp?: Server;
  private readonly conns = new Set<TcpSocket>();
  /** The bound port (useful with port 0). */
  port = 0;

  constructor(
    readonly host: string,
    private readonly requestedPort: number,
    private readonly handler: QueryHandler,
  ) {}

  /**
   * Binds UDP first (port 0 picks a free one), then TCP on the same port; rejects if either fails.
   * With port 0 a TCP port already taken by someone else is not a failure: another free pair is tried.
   */
  async listen(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.bindPair();
      } catch (e) {
        if (this.requestedPort !== 0 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 8) throw e;
      }
    }
  }

  private async bindPair(): Promise<void> {
    const udp = createSocket({ type: this.host.includes(':') ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.requestedPort, this.host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', () => undefined);
    udp.on('message', (msg, rinfo) => {
      void this.handler.handle(msg, 'udp').then(
        (reply) => {
          if (reply && this.udp === udp) udp.send(reply, rinfo.port, rinfo.address);
        },
        () => undefined,
      );
    });
    this.udp = udp;
    this.port = udp.address().port;
    const tcp = createServer((sock) => this.serveTcp(sock));
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(this.port, this.host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      udp.close();
      this.udp = undefined;
      throw e;
    }
    this.tcp = tcp;
  }

  private serveTcp(sock: TcpSocket): void {
    this.conns.add(sock);
    sock.setTimeout(tcpIdleMs, () => sock.destroy());
    sock.on('close', () => this.conns.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.handler.handle(Buffer.from(msg), 'tcp').then(
          (reply) => {
            if (!reply || sock.destroyed) return;
            const len = Buffer.alloc(2);
            len.writeUInt16BE(reply.length);
            sock.write(Buffer.concat([len, reply]));
          },
          () => sock.destroy(),
        );
      }
    });
  }

  async close(): Promise<void> {
    this.udp?.close();
    this.udp = undefined;
    for (const c of this.conns) c.destroy();
    const tcp = this.tcp;
    this.tcp = undefined;
    if (tcp) await new Promise<void>((r) => tcp.close(() => r()));
  }
}
