/**
 * The nftables service proxy with host networking (`--network host --proxy-mode nftables`), where
 * the machine allows it (root and nft; skipped otherwise): pods are host processes and ClusterIPs
 * come from a 127/8 range. A Service to such a pod is reached on its ClusterIP through the kernel
 * (the table `ip capstan-proxy` maps the ClusterIP, and no socket listens on it); in host mode
 * loopback endpoints and NodePorts on 127.0.0.1 are DNATed by the kernel too, so what stays in
 * userspace is what nftables mode never carries: here a Service with `sessionAffinity: ClientIP`,
 * reached through a listener of the userspace proxy. The table is removed at a clean stop.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { e2eSkip, kc, kubectl, startServer, type ServerHandle } from './harness.js';
import { eventually } from '../support/eventually.js';
import { httpGet } from '../support/http-request.js';

const skip = e2eSkip() || (process.getuid?.() !== 0 ? 'nftables mode needs root' : spawnSync('nft', ['--version']).status !== 0 ? 'needs nft (Debian package nftables)' : false);
/** The pod's port on the host's network: a random one, so concurrent test servers do not collide. */
const PORT = 20000 + Math.floor(Math.random() * 10000);
const SERVER_JS = `require('http').createServer((q, s) => s.end(q.url === '/ready' ? 'ok' : process.env.POD_NAME)).listen(${PORT})`;

/** The `address . protocol . port` keys of one of the table's verdict maps, from `nft -j`. */
function mapKeys(map: string): string[] | undefined {
  const r = spawnSync('nft', ['-j', 'list', 'table', 'ip', 'capstan-proxy'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const items = (JSON.parse(r.stdout) as { nftables: { map?: { name: string; elem?: [{ concat: (string | number)[] }, unknown][] } }[] }).nftables;
  const m = items.find((i) => i.map?.name === map)?.map;
  return (m?.elem ?? []).map(([k]) => k.concat.join(' . '));
}

const listening = (ip: string) => spawnSync('ss', ['-Htln', `src ${ip}`], { encoding: 'utf8' });

describe('nftables service proxy (host network)', { skip, timeout: 120_000 }, () => {
  let server: ServerHandle;
  const json = (args: string[]) => JSON.parse(kc(server, [...args, '-o', 'json']));

  before(async () => {
    server = await startServer({ agent: true, network: 'host', extraArgs: ['--proxy-mode', 'nftables'] });
  });
  after(async () => {
    if (server) {
      kubectl(server, ['delete', 'pod', '--all', '--wait=true', '--timeout=60s']);
      await server.stop();
    }
  });

  test('a Service to a host-process pod answers on its ClusterIP through the kernel; session affinity stays in userspace', async () => {
    kc(server, ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: 'web', labels: { app: 'web' } },
            spec: {
              terminationGracePeriodSeconds: 1,
              containers: [
                {
                  name: 'web',
                  image: 'node',
                  command: [process.execPath, '-e', SERVER_JS],
                  env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
                  ports: [{ containerPort: PORT }],
                  readinessProbe: { httpGet: { path: '/ready', port: PORT }, periodSeconds: 1 },
                },
              ],
            },
          },
          { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: PORT }] } },
          { apiVersion: 'v1', kind: 'Service', metadata: { name: 'sticky' }, spec: { selector: { app: 'web' }, sessionAffinity: 'ClientIP', ports: [{ port: 80, targetPort: PORT }] } },
        ],
      }),
    });
    const clusterIP = json(['get', 'svc', 'web']).spec.clusterIP as string;
    const stickyIP = json(['get', 'svc', 'sticky']).spec.clusterIP as string;
    assert.match(clusterIP, /^127\.\d+\.\d+\.\d+$/);
    assert.equal(await eventually('the pod through the ClusterIP', () => httpGet(clusterIP, 80).catch(() => undefined), 60_000), 'web');
    // The kernel carries it: the ClusterIP is a key of the DNAT map, and no socket listens there.
    assert.ok(mapKeys('service-ips')?.includes(`${clusterIP} . tcp . 80`), `${clusterIP} in the table's service-ips map`);
    const ss = listening(clusterIP);
    if (ss.status === 0) assert.equal(ss.stdout.trim(), '');
    // Session affinity: served by a listener of the userspace proxy, absent from the table.
    assert.equal(await eventually('the pod through the sticky ClusterIP', () => httpGet(stickyIP, 80).catch(() => undefined)), 'web');
    assert.ok(!mapKeys('service-ips')?.some((k) => k.startsWith(`${stickyIP} `)), `${stickyIP} not in the table`);
    const sticky = listening(stickyIP);
    if (sticky.status === 0) assert.match(sticky.stdout, new RegExp(`${stickyIP.replace(/\./g, '\\.')}:80`));
  });

  test('the table is removed when the server stops', async () => {
    assert.equal(spawnSync('nft', ['list', 'table', 'ip', 'capstan-proxy']).status, 0);
    kc(server, ['delete', 'pod', 'web', '--wait=true']);
    assert.equal(await server.stop(), 0);
    assert.notEqual(spawnSync('nft', ['list', 'table', 'ip', 'capstan-proxy']).status, 0);
  });
});
