/**
 * The nftables service proxy (`--proxy-mode nftables`) end to end, where the machine allows it
 * (root, nft, the CNI plugins, iproute2; skipped otherwise): a 2-replica Deployment behind a
 * NodePort Service is reached by its ClusterIP from the host and from a pod, with no userspace
 * listener on the ClusterIP (the kernel DNATs); the NodePort answers on the node's address (kernel)
 * and on 127.0.0.1 (userspace, as loopback cannot be DNATed onto the bridge); scaled to 0 the
 * ClusterIP refuses connections, from the host and from a pod; the table is gone once the server stops.
 * A pod's connection through the ClusterIP reaches the other replica with the pod's own address as
 * its source where br_netfilter is on (only hairpin connections are masqueraded; elsewhere all are,
 * and the backend sees the bridge address), and a pod reaching itself through it (hairpin) works.
 * Where the `conntrack` command is installed, a pod's long-lived UDP flow through a ClusterIP moves
 * to another replica once the one it went to is deleted.
 *
 * The node's address is the machine's own first non-loopback IPv4 (traffic to it stays on the
 * machine); without one the NodePort is checked on 127.0.0.1 only.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { bridgeSkip, kc, kubectl } from './harness.js';
import { suiteServer } from './suite-server.js';
import { eventually } from '../support/eventually.js';
import { httpGet } from '../support/http-request.js';

const nftSkip = spawnSync('nft', ['--version']).status !== 0 ? 'needs nft (Debian package nftables)' : false;
const skip = bridgeSkip() || nftSkip;
const PORT = 8080;
// `/peer` answers the replica's name and the address the connection came from.
const SERVER_JS = `require('http').createServer((q, s) => s.end(q.url === '/ready' ? 'ok' : q.url === '/peer' ? process.env.HOSTNAME + ' ' + q.socket.remoteAddress : process.env.HOSTNAME)).listen(${PORT})`;
const UDP_PORT = 5353;
const conntrackSkip = spawnSync('conntrack', ['--version']).status !== 0 ? 'needs conntrack (Debian package conntrack)' : false;
const brNetfilter = (() => {
  try {
    return readFileSync('/proc/sys/net/bridge/bridge-nf-call-iptables', 'utf8').trim() === '1';
  } catch {
    return false;
  }
})();
const nodeIP = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

const nftTable = () => spawnSync('nft', ['list', 'table', 'ip', 'capstan-proxy'], { encoding: 'utf8' });

describe('nftables service proxy (bridge network)', { skip, timeout: 180_000 }, () => {
  const server = suiteServer({ agent: true, network: 'bridge', extraArgs: ['--proxy-mode', 'nftables', ...(nodeIP ? ['--node-ip', nodeIP] : [])], deleteAll: ['deployment'] });
  after(() => spawnSync('ip', ['link', 'delete', 'capstan0']));
  let names: string[] = [];
  let clusterIP = '';
  let nodePort = 0;
  const json = (args: string[]) => JSON.parse(kc(server, [...args, '-o', 'json']));

  test('a 2-replica Deployment is reached by ClusterIP from the host and from a pod, through the kernel', async () => {
    kc(server, ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              terminationGracePeriodSeconds: 1,
              containers: [{ name: 'web', image: 'node', command: [process.execPath, '-e', SERVER_JS], ports: [{ containerPort: PORT }], readinessProbe: { httpGet: { path: '/ready', port: PORT }, periodSeconds: 1 } }],
            },
          },
        },
      }),
    });
    names = await eventually(
      'two ready replicas',
      () => {
        const items = json(['get', 'pods', '-l', 'app=web']).items as { metadata: { name: string }; status: { conditions?: { type: string; status: string }[] } }[];
        const ready = items.filter((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        return ready.length === 2 ? ready.map((p) => p.metadata.name) : undefined;
      },
      60_000,
    );
    kc(server, ['expose', 'deployment', 'web', '--type', 'NodePort', '--port', '80', '--target-port', String(PORT)]);
    const svc = json(['get', 'svc', 'web']);
    clusterIP = svc.spec.clusterIP;
    nodePort = svc.spec.ports[0].nodePort;
    assert.match(clusterIP, /^10\.43\.\d+\.\d+$/);
    const seen = new Set<string>();
    await eventually('both replicas through the ClusterIP from the host', async () => {
      seen.add(await httpGet(clusterIP, 80).catch((e: Error) => `error ${e.message}`));
      return names.every((n) => seen.has(n)) ? true : undefined;
    }).catch((e: Error) => {
      throw new Error(`${e.message}: saw ${[...seen].join(', ')}`);
    });
    // The kernel carries it: the table DNATs the ClusterIP and no socket listens there.
    const table = nftTable();
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`${clusterIP.replace(/\./g, '\\.')} \\. tcp \\. 80 : goto svc-`));
    assert.match(table.stdout, /dnat ip to numgen random mod 2 map/);
    const listening = spawnSync('ss', ['-Htln', `src ${clusterIP}`], { encoding: 'utf8' });
    if (listening.status === 0) assert.equal(listening.stdout.trim(), '');
    // From a pod, through the bridge: the other replica sees the client pod's address (with
    // br_netfilter), the pod itself (hairpin) sees the bridge's, as the node masquerades it.
    const podIP = new Map((json(['get', 'pods', '-l', 'app=web']).items as { metadata: { name: string }; status: { podIP: string } }[]).map((p) => [p.metadata.name, p.status.podIP]));
    const client = names[0]!;
    const bridgeIP = (JSON.parse(spawnSync('ip', ['-j', '-4', 'addr', 'show', 'dev', 'capstan0'], { encoding: 'utf8' }).stdout) as { addr_info: { local: string }[] }[])[0]!.addr_info[0]!.local;
    const fromPod = new Map<string, string>();
    const script = `require('http').get({ host: '${clusterIP}', port: 80, path: '/peer', agent: false }, (r) => r.pipe(process.stdout)).on('error', (e) => process.stdout.write('error ' + e.code))`;
    await eventually('both replicas, the client itself among them, through the ClusterIP from a pod', () => {
      const [name = '', peer = ''] = kc(server, ['exec', client, '--', process.execPath, '-e', script]).split(' ');
      fromPod.set(name, peer.replace(/^::ffff:/, ''));
      return names.every((n) => fromPod.has(n)) ? true : undefined;
    }).catch((e: Error) => {
      throw new Error(`${e.message}: saw ${[...fromPod].join(', ')}`);
    });
    const other = names[1]!;
    if (!brNetfilter) console.log('# br_netfilter is off: pods connections through a Service are masqueraded, the backend sees the bridge address');
    assert.equal(fromPod.get(other), brNetfilter ? podIP.get(client) : bridgeIP, `the source address ${other} saw`);
    assert.equal(fromPod.get(client), bridgeIP, 'the source address of the hairpin connection');
  });

  test('the NodePort answers from the host', async () => {
    if (nodeIP) {
      assert.match(nftTable().stdout, new RegExp(`${nodeIP.replace(/\./g, '\\.')} \\. tcp \\. ${nodePort} : goto svc-`));
      assert.ok(names.includes(await eventually('the NodePort on the node address', () => httpGet(nodeIP, nodePort).catch(() => undefined))));
    }
    assert.ok(names.includes(await eventually('the NodePort on 127.0.0.1', () => httpGet('127.0.0.1', nodePort).catch(() => undefined))));
  });

  test('a long-lived UDP flow moves on when its endpoint leaves (conntrack entries deleted)', { skip: conntrackSkip }, async () => {
    const echo = `const s = require('dgram').createSocket('udp4'); s.on('message', (m, r) => s.send(process.env.HOSTNAME, r.port, r.address)); s.bind(${UDP_PORT})`;
    kc(server, ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'echo' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'echo' } },
          template: { metadata: { labels: { app: 'echo' } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'echo', image: 'node', command: [process.execPath, '-e', echo] }] } },
        },
      }),
    });
    kc(server, ['expose', 'deployment', 'echo', '--protocol', 'UDP', '--port', '53', '--target-port', String(UDP_PORT)]);
    const echoIP = json(['get', 'svc', 'echo']).spec.clusterIP as string;
    // One flow: the same source port for every datagram, one every 200 ms; each answer is logged.
    const client = `const s = require('dgram').createSocket('udp4'); s.on('message', (m) => console.log(String(m))); s.bind(40053, () => setInterval(() => s.send('x', 53, '${echoIP}'), 200))`;
    kc(server, ['run', 'udp-client', '--image', 'node', '--restart', 'Never', '--command', '--', process.execPath, '-e', client]);
    const answers = () => kubectl(server, ['logs', 'udp-client']).stdout.split('\n').filter(Boolean);
    const first = await eventually('an answer to the UDP client', () => answers()[0], 60_000);
    kc(server, ['delete', 'pod', first, '--wait=false']);
    // Without the deletion the flow would stay with the gone pod: every datagram refreshes its entry.
    const next = await eventually('an answer from another replica', () => answers().find((a) => a !== first), 30_000);
    assert.notEqual(next, first);
    kc(server, ['delete', 'pod', 'udp-client', '--wait=true']);
    kc(server, ['delete', 'deployment', 'echo', '--wait=true']);
    kc(server, ['delete', 'svc', 'echo']);
  });

  test('scaled to 0 the ClusterIP refuses connections', async () => {
    kc(server, ['scale', 'deployment', 'web', '--replicas', '0']);
    // Once the slice is empty the kernel rejects (before that, the stopping pods refuse by themselves).
    const rejecting = new RegExp(`${clusterIP.replace(/\./g, '\\.')} \\. tcp \\. 80 : goto reject-chain`);
    await eventually('the ClusterIP in the reject map', () => (rejecting.test(nftTable().stdout) ? true : undefined), 60_000);
    await assert.rejects(httpGet(clusterIP, 80), { code: 'ECONNREFUSED' });
    const script = `require('net').connect(80, '${clusterIP}').on('connect', () => process.stdout.write('connected')).on('error', (e) => process.stdout.write(e.code))`;
    const pod = kc(server, ['run', 'probe', '--image', 'node', '--restart', 'Never', '--command', '--', process.execPath, '-e', script]);
    assert.match(pod, /created/);
    await eventually('the probe pod done', () => (json(['get', 'pod', 'probe']).status.phase === 'Succeeded' ? true : undefined), 60_000);
    assert.equal(kc(server, ['logs', 'probe']), 'ECONNREFUSED');
    kc(server, ['delete', 'pod', 'probe', '--wait=true']);
  });

  test('the table is removed when the server stops', async () => {
    assert.equal(nftTable().status, 0);
    assert.equal(await server.stop(), 0);
    assert.notEqual(nftTable().status, 0);
  });
});
