/**
 * The bridge-mode pod network against the real CNI plugins (root and the plugins needed): two
 * sandboxes get their own namespaces and addresses, reach each other and the bridge, have no
 * default route, and give everything back on tear-down.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { findCniPlugins } from './mode.js';
import { bridgeUnavailable } from './test-network.js';
import { CniPodNetwork } from './pod-network.js';

const run = promisify(execFile);
const SERVER = `require('net').createServer((s) => s.end('hello')).listen(8080, () => console.log('listening'))`;
const client = (ip: string) => `require('net').connect(8080, '${ip}').on('data', (d) => process.stdout.write(d)).setTimeout(5000, () => process.exit(1))`;

const skip = await bridgeUnavailable();
const bridgeName = `cpt${process.pid % 100000}`;

describe('CNI pod network', { skip }, () => {
  let dir = '';
  after(async () => {
    await run('ip', ['link', 'delete', bridgeName]).catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('sets up, checks and tears down sandbox networks', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'capstan-podnet-'));
    const plugins = await findCniPlugins();
    const net = new CniPodNetwork({
      cniPath: [path.dirname(plugins.bridge!)],
      ipamDataDir: path.join(dir, 'ipam'),
      podCidr: () => '10.42.251.0/24',
      clusterCidr: '10.42.0.0/16',
      serviceCidr: '10.43.0.0/16',
      nodeIPs: () => [],
      bridgeName,
    });
    const ids = [`${Date.now().toString(16)}aaaa0000000000000000`, `${Date.now().toString(16)}bbbb0000000000000000`];
    const attached = [];
    try {
      for (const id of ids) attached.push(await net.setUp(id));
      const [a, b] = attached;
      assert.match(a!.ips[0]!, /^10\.42\.251\.\d+$/);
      assert.match(b!.ips[0]!, /^10\.42\.251\.\d+$/);
      assert.notEqual(a!.ips[0], b!.ips[0]);
      const routes = (await run('nsenter', [`--net=${a!.netnsPath}`, '--', 'ip', '-4', 'route'])).stdout;
      assert.doesNotMatch(routes, /^default/m);
      assert.match(routes, /10\.43\.0\.0\/16 via 10\.42\.251\.1/);
      const lo = (await run('nsenter', [`--net=${a!.netnsPath}`, '--', 'ip', 'link', 'show', 'lo'])).stdout;
      assert.match(lo, /UP/);
      // One namespace reaches the other through the bridge, and the host reaches it too.
      const server = spawn('nsenter', [`--net=${b!.netnsPath}`, '--', process.execPath, '-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        await new Promise<void>((resolve, reject) => {
          server.stdout.once('data', () => resolve());
          server.once('exit', (code) => reject(new Error(`the server exited (${code})`)));
        });
        const fromPod = await run('nsenter', [`--net=${a!.netnsPath}`, '--', process.execPath, '-e', client(b!.ips[0]!)]);
        assert.equal(fromPod.stdout, 'hello');
        const fromHost = await run(process.execPath, ['-e', client(b!.ips[0]!)]);
        assert.equal(fromHost.stdout, 'hello');
      } finally {
        server.kill('SIGKILL');
      }
      // CHECK passes on an intact attachment and fails once the pod's interface is gone.
      await net.check(ids[0]!, a!);
      await run('nsenter', [`--net=${b!.netnsPath}`, '--', 'ip', 'link', 'delete', 'eth0']);
      await assert.rejects(net.check(ids[1]!, b!), /plugin type="bridge" failed \(check\)/);
      const held = await readdir(path.join(dir, 'ipam', 'capstan'));
      assert.ok(held.includes(a!.ips[0]!) && held.includes(b!.ips[0]!));
    } finally {
      for (const [i, at] of attached.entries()) await net.tearDown(ids[i]!, at);
    }
    for (const at of attached) assert.equal(existsSync(at.netnsPath), false);
    const left = (await readdir(path.join(dir, 'ipam', 'capstan'))).filter((f) => /^\d/.test(f));
    assert.deepEqual(left, [], 'host-local released the addresses');
    // Tearing down twice is fine.
    await net.tearDown(ids[0]!, attached[0]!);
  });
});
