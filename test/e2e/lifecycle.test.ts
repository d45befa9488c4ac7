/**
 * Server lifecycle: clean shutdown, restart on the same data dir, durability of acknowledged
 * writes across kill -9, authentication, the etcd datastore, and kubectl version skew.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiHttp as apiClient } from '../support/api-http.js';
import { etcdAvailable, startEtcd } from '../support/etcd-process.js';
import { kc, kubectl, kubectlPath, startServer } from './harness.js';

const haveKubectl = kubectlPath() !== undefined;

describe('server lifecycle', { skip: !haveKubectl && 'kubectl is not installed' }, () => {
  test('SIGTERM shuts down cleanly and a restart keeps every object', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'capstan-restart-'));
    try {
      let srv = await startServer({ dataDir });
      kc(srv, ['create', 'namespace', 'keep']);
      kc(srv, ['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: survivor\n  namespace: keep\ndata:\n  k: v\n' });
      const rvBefore = Number(kc(srv, ['get', 'cm', 'survivor', '-n', 'keep', '-o', 'jsonpath={.metadata.resourceVersion}']));
      assert.equal(await srv.stop('SIGTERM'), 0, srv.output());
      srv = await startServer({ dataDir });
      try {
        assert.equal(kc(srv, ['get', 'cm', 'survivor', '-n', 'keep', '-o', 'jsonpath={.data.k}']), 'v');
        kc(srv, ['label', 'cm', 'survivor', '-n', 'keep', 'after=restart']);
        const rvAfter = Number(kc(srv, ['get', 'cm', 'survivor', '-n', 'keep', '-o', 'jsonpath={.metadata.resourceVersion}']));
        assert.ok(rvAfter > rvBefore, `resourceVersion went from ${rvBefore} to ${rvAfter}`);
      } finally {
        await srv.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('every acknowledged write survives kill -9', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'capstan-kill9-'));
    try {
      let srv = await startServer({ dataDir });
      const api = apiClient(srv);
      const acked: string[] = [];
      let stop = false;
      const writer = async (w: number) => {
        for (let i = 0; !stop; i++) {
          const name = `w${w}-${i}`;
          try {
            const r = await api.send('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { i: String(i) } });
            if (r.code === 201) acked.push(name);
          } catch {
            return;
          }
        }
      };
      const writers = [0, 1, 2, 3].map(writer);
      while (acked.length < 200) await new Promise((r) => setTimeout(r, 10));
      srv.proc.kill('SIGKILL');
      stop = true;
      await Promise.all(writers);
      await srv.stop();
      api.close();
      srv = await startServer({ dataDir });
      const api2 = apiClient(srv);
      try {
        const r = await api2.send('GET', '/api/v1/namespaces/default/configmaps');
        const names = new Set((JSON.parse(r.body) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name));
        const lost = acked.filter((n) => !names.has(n));
        assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged writes lost`);
      } finally {
        api2.close();
        await srv.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('requests without valid credentials get 401; health and version are public', async () => {
    const srv = await startServer();
    const api = apiClient(srv);
    try {
      const anon = await api.send('GET', '/api/v1/namespaces', undefined, { token: '' });
      assert.equal(anon.code, 401);
      assert.deepEqual(JSON.parse(anon.body), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
      assert.equal((await api.send('GET', '/api/v1/namespaces', undefined, { token: 'wrong-token' })).code, 401);
      assert.equal((await api.send('GET', '/readyz', undefined, { token: '' })).code, 200);
      const version = JSON.parse((await api.send('GET', '/version', undefined, { token: '' })).body) as { major: string; minor: string; gitVersion: string };
      assert.equal(`${version.major}.${version.minor}`, '1.32');
    } finally {
      api.close();
      await srv.stop();
    }
  });

  test('the etcd datastore serves the same API', { skip: !etcdAvailable && 'etcd is not installed (Debian etcd-server)' }, async () => {
    const etcd = await startEtcd();
    const endpoint = `etcd://${new URL(etcd.clientUrl).host}`;
    try {
      const dataDir = mkdtempSync(join(tmpdir(), 'capstan-etcd-e2e-'));
      try {
        let srv = await startServer({ dataDir, datastore: endpoint });
        kc(srv, ['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: in-etcd\ndata:\n  k: v\n' });
        assert.equal(kc(srv, ['get', 'cm', 'in-etcd', '-o', 'jsonpath={.data.k}']), 'v');
        assert.equal(await srv.stop(), 0);
        srv = await startServer({ dataDir, datastore: endpoint });
        try {
          assert.equal(kc(srv, ['get', 'cm', 'in-etcd', '-o', 'jsonpath={.data.k}']), 'v');
          assert.match(kc(srv, ['get', 'ns']), /kube-system\s+Active/);
        } finally {
          await srv.stop();
        }
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    } finally {
      await etcd.stop();
    }
  });

  for (const version of ['1.33', '1.27']) {
    test(`kubectl ${version} works against the v1.32 API`, { skip: !kubectlPath(version) && `kubectl.${version} is not installed` }, async () => {
      const bin = kubectlPath(version)!;
      const srv = await startServer();
      try {
        const manifest = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: skew\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: skew}\n  template:\n    metadata:\n      labels: {app: skew}\n    spec:\n      containers:\n      - name: c\n        image: img:1\n';
        assert.match(kc(srv, ['apply', '-f', '-'], { input: manifest, bin }), /deployment.apps\/skew created/);
        assert.match(kc(srv, ['get', 'deploy', 'skew'], { bin }), /skew\s+0\/1/);
        kc(srv, ['scale', 'deploy', 'skew', '--replicas=3'], { bin });
        assert.equal(kc(srv, ['get', 'deploy', 'skew', '-o', 'jsonpath={.spec.replicas}'], { bin }), '3');
        assert.match(kc(srv, ['explain', 'deployment.spec.replicas'], { bin }), /replicas/);
        assert.match(kc(srv, ['api-resources'], { bin }), /deployments/);
        const del = kubectl(srv, ['delete', 'deploy', 'skew'], { bin });
        assert.equal(del.code, 0, del.stderr);
      } finally {
        await srv.stop();
      }
    });
  }
});
