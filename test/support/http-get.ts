/**
 * One HTTP GET on a new connection (no keep-alive, so a service proxy picks an endpoint for each),
 * resolving with the body; rejects on a connection error or after 5 s.
 */
import { get } from 'node:http';

export function httpGet(host: string, port: number, path = '/'): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    get({ host, port, path, timeout: 5000, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .on('timeout', function (this: { destroy(e: Error): void }) {
        this.destroy(new Error('timeout'));
      });
  });
}
