/**
 * The Endpoints and EndpointSlice controllers against real pods (the agent's process runtime):
 * addresses follow readiness probes, named target ports resolve per pod, deleted pods leave,
 * publishNotReadyAddresses lists unready pods, and a deleted Service takes its Endpoints and
 * EndpointSlices with it. Driven with the real kubectl.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { e2eSkip, kc, kubectl } from './harness.js';
import { suiteServer } from './suite-server.js';
import { eventually } from '../support/eventually.js';

const skip = e2eSkip();

interface Subset {
  addresses?: { ip: string; targetRef: { name: string } }[];
  notReadyAddresses?: { ip: string; targetRef: { name: string } }[];
  ports?: { name?: string; port: number }[];
}
interface Slice {
  endpoints: { targetRef: { name: string }; conditions: { ready: boolean; serving: boolean; terminating: boolean } }[];
  ports?: { name: string; port: number }[];
}

describe('endpoints and endpoint slices', { skip, timeout: 180_000 }, () => {
  const server = suiteServer({ agent: true, deleteAll: ['pods'] });
  const flags = mkdtempSync(join(tmpdir(), 'capstan-e2e-ready-'));
  after(() => rmSync(flags, { recursive: true, force: true }));

  const pod = (name: string, port: number) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: web}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: none
    command: [sleep, "3600"]
    ports: [{name: http, containerPort: ${port}}]
    readinessProbe:
      exec: {command: [sh, -c, 'test -f ${flags}/$HOSTNAME']}
      periodSeconds: 1
`;
  const endpoints = (name: string): Subset[] => {
    const r = kubectl(server, ['get', 'endpoints', name, '-o', 'json']);
    return r.code === 0 ? (JSON.parse(r.stdout).subsets ?? []) : [];
  };
  const slices = (name: string): Slice[] => JSON.parse(kc(server, ['get', 'endpointslices', '-l', `kubernetes.io/service-name=${name}`, '-o', 'json'])).items;
  const names = (subsets: Subset[], field: 'addresses' | 'notReadyAddresses') => subsets.flatMap((s) => (s[field] ?? []).map((a) => a.targetRef.name)).sort();

  before(async () => {
    kc(server, ['apply', '-f', '-'], { input: `${pod('a', 8080)}---\n${pod('b', 9090)}---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: all}
spec:
  publishNotReadyAddresses: true
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
` });
  });

  test('running pods that are not ready are listed as not ready, each with its own named port', async () => {
    const subsets = await eventually('two not-ready addresses', () => (names(endpoints('web'), 'notReadyAddresses').length === 2 ? endpoints('web') : undefined));
    assert.deepEqual(names(subsets, 'addresses'), []);
    assert.deepEqual(subsets.map((s) => s.ports?.map((p) => p.port)).sort(), [[8080], [9090]]);
    const sl = await eventually('two slices', () => (slices('web').flatMap((s) => s.endpoints).length === 2 ? slices('web') : undefined));
    const eps = sl.flatMap((s) => s.endpoints);
    assert.deepEqual(eps.map((e) => e.conditions.ready), [false, false]);
    assert.deepEqual(sl.map((s) => s.ports?.[0].port).sort(), [8080, 9090]);
    // publishNotReadyAddresses: both listed as ready, on the numeric target port.
    const all = await eventually('publishNotReadyAddresses endpoints', () => (names(endpoints('all'), 'addresses').length === 2 ? endpoints('all') : undefined));
    assert.deepEqual(all[0].ports, [{ port: 8080, protocol: 'TCP' }]);
  });

  test('a pod turning ready moves to addresses; kubectl shows it', async () => {
    writeFileSync(join(flags, 'a'), '');
    await eventually('a ready', () => (names(endpoints('web'), 'addresses').join() === 'a' ? true : undefined));
    assert.deepEqual(names(endpoints('web'), 'notReadyAddresses'), ['b']);
    const table = kc(server, ['get', 'endpoints', 'web']);
    assert.match(table, /web\s+127\.0\.0\.1:8080\s/);
    await eventually('slice condition ready', () => (slices('web').flatMap((s) => s.endpoints).some((e) => e.targetRef.name === 'a' && e.conditions.ready) ? true : undefined));
  });

  test('a deleted pod leaves the endpoints', async () => {
    kc(server, ['delete', 'pod', 'b', '--wait=true']);
    await eventually('b gone', () => (names(endpoints('web'), 'notReadyAddresses').length === 0 && names(endpoints('web'), 'addresses').join() === 'a' ? true : undefined));
    await eventually('b gone from slices', () => (slices('web').flatMap((s) => s.endpoints).map((e) => e.targetRef.name).join() === 'a' ? true : undefined));
  });

  test('a selector-less Service with hand-written Endpoints is mirrored into slices and served by the proxy', async () => {
    const backend = createServer((_q, res) => res.end('external')).listen(0, '127.0.0.1');
    await once(backend, 'listening');
    const port = (backend.address() as AddressInfo).port;
    try {
      kc(server, ['apply', '-f', '-'], { input: `apiVersion: v1
kind: Service
metadata: {name: ext}
spec:
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: ext, labels: {source: manual}}
subsets: [{addresses: [{ip: 127.0.0.1}], ports: [{name: http, port: ${port}}]}]
` });
      const slice = await eventually('a mirrored slice', () => {
        const items = slices('ext') as unknown as { metadata: { labels: Record<string, string> }; ports: { port: number }[] }[];
        return items.length === 1 ? items[0] : undefined;
      });
      assert.equal(slice.metadata.labels['endpointslice.kubernetes.io/managed-by'], 'endpointslicemirroring-controller.k8s.io');
      assert.equal(slice.metadata.labels.source, 'manual');
      assert.equal(slice.ports[0].port, port);
      const ip = kc(server, ['get', 'svc', 'ext', '-o', 'jsonpath={.spec.clusterIP}']);
      const body = await eventually('the proxy to reach the external backend', async () => {
        const r = await fetch(`http://${ip}/`).then((x) => x.text()).catch(() => undefined);
        return r === 'external' ? r : undefined;
      });
      assert.equal(body, 'external');
      kc(server, ['delete', 'endpoints', 'ext']);
      await eventually('the mirrored slice removed', () => (slices('ext').length === 0 ? true : undefined));
    } finally {
      backend.close();
    }
  });

  test('deleting the Service removes its Endpoints and EndpointSlices', async () => {
    kc(server, ['delete', 'service', 'web']);
    await eventually('endpoints gone', () => (kubectl(server, ['get', 'endpoints', 'web']).code !== 0 ? true : undefined));
    await eventually('slices gone', () => (slices('web').length === 0 ? true : undefined));
  });
});
