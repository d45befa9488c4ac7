import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PodSandboxConfig } from '../runtime.js';
import { netnsEtcDir, netnsEtcFiles, removeNetnsEtcFiles, writeNetnsEtcFiles } from './netns-etc.js';
import type { SandboxRecord } from './state-store.js';

const config: PodSandboxConfig = {
  metadata: { name: 'db-0', namespace: 'prod', uid: 'u', attempt: 0 },
  hostname: 'db-0',
  logDirectory: '/logs',
  labels: {},
  annotations: {},
  hostNetwork: false,
  hostDomain: 'db.prod.svc.cluster.local',
  dns: { servers: ['10.43.0.10'], searches: ['prod.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] },
};
const bridged = (c: PodSandboxConfig = config): SandboxRecord => ({ id: 'abc', config: c, state: 'SANDBOX_READY', createdAt: 0, network: { netnsPath: '/run/netns/capstan-0123456789abcdef', ips: ['10.42.0.8'], podCidr: '10.42.0.0/24' } });

test("the directory is named after the sandbox's network namespace; none without one", () => {
  assert.equal(netnsEtcDir(bridged()), '/etc/netns/capstan-0123456789abcdef');
  assert.equal(netnsEtcDir(bridged(), '/x'), '/x/capstan-0123456789abcdef');
  assert.equal(netnsEtcDir({ ...bridged(), network: undefined }), undefined);
  assert.equal(netnsEtcDir(bridged({ ...config, hostNetwork: true })), undefined);
});

test('the files: the managed hosts file always, resolv.conf only with a DNS config', () => {
  const files = netnsEtcFiles(bridged(), 'node\n');
  assert.deepEqual(Object.keys(files).sort(), ['hosts', 'resolv.conf']);
  assert.match(files.hosts!, /^# Kubernetes-managed hosts file\.\n/);
  assert.match(files.hosts!, /\n10\.42\.0\.8\tdb-0\.db\.prod\.svc\.cluster\.local\tdb-0\n$/);
  assert.equal(files['resolv.conf'], 'search prod.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.43.0.10\noptions ndots:5\n');
  assert.deepEqual(Object.keys(netnsEtcFiles(bridged({ ...config, dns: undefined }), '')), ['hosts']);
  assert.deepEqual(Object.keys(netnsEtcFiles(bridged({ ...config, dns: { servers: [], searches: [], options: [] } }), '')), ['hosts']);
});

test('written with the sandbox, removed with it', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'capstan-netns-etc-'));
  try {
    const rec = bridged();
    await writeNetnsEtcFiles(rec, root);
    const dir = path.join(root, 'capstan-0123456789abcdef');
    assert.match(readFileSync(path.join(dir, 'hosts'), 'utf8'), /db-0\.db\.prod\.svc\.cluster\.local/);
    assert.match(readFileSync(path.join(dir, 'resolv.conf'), 'utf8'), /^nameserver 10\.43\.0\.10$/m);
    await removeNetnsEtcFiles(rec, root);
    assert.equal(existsSync(dir), false);
    assert.equal(existsSync(root), true);
    await removeNetnsEtcFiles(rec, root);
    // A sandbox on the node's network writes nothing.
    await writeNetnsEtcFiles({ ...rec, network: undefined }, root);
    assert.equal(existsSync(dir), false);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
