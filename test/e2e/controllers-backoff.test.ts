/**
 * Controllers never loop hot on objects they cannot reconcile. Against a real `capstan server`
 * (compiled dist/ only), the controller manager runs in this process on a client that counts its
 * requests. Every workload names a PriorityClass that does not exist, so admission refuses each of
 * its pods (403). Over a few seconds each controller must retry with back-off: a handful of create
 * attempts, not thousands, and the status writes stay as few.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { ApiClient, type RequestOptions } from '../../src/client/api-client.js';
import { builtinRefs } from '../../src/client/builtin-refs.js';
import type { ApiObject } from '../../src/api/object.js';
import { startControllerManager } from '../../src/controllers/manager.js';
import { createLogger } from '../../src/util/logger.js';
import { capstanBin, startServer, type ServerHandle } from './harness.js';

const skip = existsSync(capstanBin) && existsSync(new URL('../../src/cli/main.js', import.meta.url)) ? false : 'needs the compiled server (npm run build)';

/** Counts requests by `METHOD path-without-query`. */
class CountingClient extends ApiClient {
  readonly counts = new Map<string, number>();
  override request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const key = `${method} ${path.split('?')[0]}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    return super.request<T>(method, path, opts);
  }
  total(pred: (key: string) => boolean): number {
    let n = 0;
    for (const [k, v] of this.counts) if (pred(k)) n += v;
    return n;
  }
}

const template = (app: string) => ({
  metadata: { labels: { app } },
  spec: { priorityClassName: 'no-such-class', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] },
});

describe('controllers back off on objects they cannot reconcile', { skip, timeout: 120_000 }, () => {
  let server: ServerHandle;
  let client: CountingClient;
  const ac = new AbortController();
  let manager: Promise<void>;

  before(async () => {
    server = await startServer({ extraArgs: ['--disable-controller-manager', '--disable-scheduler'] });
    const plain = await ApiClient.fromKubeconfig(server.kubeconfig);
    client = new CountingClient(plain.config);
    plain.close();
    manager = startControllerManager(client, { logger: createLogger('error') }, ac.signal);
  });
  after(async () => {
    ac.abort();
    await manager;
    client?.close();
    await server?.stop();
  });

  test('refused pod creations are retried with back-off by every workload controller', async () => {
    const ns = 'default';
    await client.create(builtinRefs.nodes, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      status: { conditions: [{ type: 'Ready', status: 'True' }], allocatable: { cpu: '4', memory: '8Gi', pods: '110' } },
    } as ApiObject);
    const sel = (app: string) => ({ matchLabels: { app } });
    await client.create(builtinRefs.replicasets, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', namespace: ns }, spec: { replicas: 3, selector: sel('rs'), template: template('rs') } } as ApiObject);
    await client.create(builtinRefs.deployments, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'deploy', namespace: ns }, spec: { replicas: 3, selector: sel('deploy'), template: template('deploy') } } as ApiObject);
    await client.create(builtinRefs.statefulsets, { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'sts', namespace: ns }, spec: { replicas: 3, serviceName: 'sts', selector: sel('sts'), template: template('sts') } } as ApiObject);
    await client.create(builtinRefs.daemonsets, { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ds', namespace: ns }, spec: { selector: sel('ds'), template: template('ds') } } as ApiObject);
    await client.create(builtinRefs.jobs, { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'job', namespace: ns }, spec: { parallelism: 3, completions: 3, template: { ...template('job'), spec: { ...template('job').spec, restartPolicy: 'Never' } } } } as ApiObject);

    const windowMs = 6000;
    await new Promise((r) => setTimeout(r, windowMs));
    const podCreates = client.total((k) => k === `POST /api/v1/namespaces/${ns}/pods`);
    const writes = client.total((k) => /^(PUT|PATCH|POST) /.test(k) && !k.includes('/events') && !k.endsWith('/pods'));
    const detail = JSON.stringify(Object.fromEntries([...client.counts].filter(([k]) => !k.startsWith('GET'))));
    // Five controllers, each refused on every try. Exponential back-off from 5 ms allows about a
    // dozen tries each in six seconds; a controller retrying on its own status writes would make
    // hundreds.
    assert.ok(podCreates >= 5, `every controller tried (${detail})`);
    assert.ok(podCreates <= 5 * 20, `pod create attempts bounded: ${podCreates} (${detail})`);
    assert.ok(writes <= 5 * 20, `status and other writes bounded: ${writes} (${detail})`);
  });
});
