/**
 * Bad input to the node agent ends in the kubelet's waiting reasons and events, never a crashed
 * agent; and a container that floods stdout never fills the disk (log rotation with
 * --container-log-max-size / --container-log-max-files). Real `capstan server` with the agent
 * (compiled dist/ only), real kubectl.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { e2eSkip, kc, kubectl } from './harness.js';
import { suiteServer } from './suite-server.js';
import { eventually } from '../support/eventually.js';

const skip = e2eSkip();

const pod = (name: string, container: Record<string, unknown>) => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox', ...container }] } });

describe('node agent: bad input and log flooding', { skip, timeout: 180_000 }, () => {
  const server = suiteServer({ agent: true, extraArgs: ['--container-log-max-size', '64Ki', '--container-log-max-files', '2'], deleteAll: ['pods'] });

  const waiting = (name: string, reason: string) =>
    eventually(
      `${name} waiting with ${reason}`,
      () => {
        const r = kubectl(server, ['get', 'pod', name, '-o', 'json']);
        if (r.code !== 0) return undefined;
        const w = JSON.parse(r.stdout).status?.containerStatuses?.[0]?.state?.waiting;
        return w?.reason === reason ? (w as { reason: string; message?: string }) : undefined;
      },
      60_000,
    );
  const events = (name: string) => kc(server, ['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'jsonpath={range .items[*]}{.type} {.reason}: {.message}{"\\n"}{end}']);

  test('a container without a command cannot run as a process: CreateContainerError', async () => {
    kc(server, ['apply', '-f', '-'], { input: pod('no-command', {}) });
    const w = await waiting('no-command', 'CreateContainerError');
    assert.match(w.message ?? '', /command/);
    assert.match(events('no-command'), /Warning Failed: Error: .*command/);
  });

  test('a missing ConfigMap reference: CreateContainerConfigError with the upstream message', async () => {
    kc(server, ['apply', '-f', '-'], { input: pod('no-config', { command: ['true'], env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }] }) });
    const w = await waiting('no-config', 'CreateContainerConfigError');
    assert.equal(w.message, 'configmap "nope" not found');
    assert.match(events('no-config'), /Warning Failed: Error: configmap "nope" not found/);
  });

  test('volumeMounts cannot be honoured by the process runtime: a clear error naming the fix', async () => {
    kc(server, ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'with-volume' },
        spec: { volumes: [{ name: 'scratch', emptyDir: {} }], containers: [{ name: 'c', image: 'busybox', command: ['sleep', '60'], volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] }] },
      }),
    });
    const w = await waiting('with-volume', 'CreateContainerError');
    assert.match(w.message ?? '', /volumeMounts/);
    assert.match(w.message ?? '', /runc/);
  });

  test('a probe naming a port the container does not have errors, and the pod never turns Ready', async () => {
    kc(server, ['apply', '-f', '-'], { input: pod('bad-probe', { command: ['sleep', '60'], readinessProbe: { httpGet: { port: 'nope' }, periodSeconds: 1 } }) });
    const ev = await eventually('the probe error event', () => {
      const e = events('bad-probe');
      return /Readiness probe errored/.test(e) ? e : undefined;
    }, 60_000);
    assert.match(ev, /Warning Unhealthy: Readiness probe errored and resulted in unknown state: .*"nope"/);
    const p = JSON.parse(kc(server, ['get', 'pod', 'bad-probe', '-o', 'json']));
    assert.equal(p.status.phase, 'Running');
    assert.equal(p.status.containerStatuses[0].ready, false);
  });

  test('runAsNonRoot without runAsUser is refused when the agent runs as root', { skip: process.getuid?.() === 0 ? false : 'needs root' }, async () => {
    kc(server, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'non-root' }, spec: { securityContext: { runAsNonRoot: true }, containers: [{ name: 'c', image: 'busybox', command: ['true'] }] } }) });
    const w = await waiting('non-root', 'CreateContainerConfigError');
    const uid = JSON.parse(kc(server, ['get', 'pod', 'non-root', '-o', 'json'])).metadata.uid;
    assert.equal(w.message, `container has runAsNonRoot and image will run as root (pod: "non-root_default(${uid})", container: c)`);
  });

  test('runAsUser and runAsGroup set the process identity', { skip: process.getuid?.() === 0 ? false : 'needs root' }, async () => {
    kc(server, ['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'as-user' }, spec: { restartPolicy: 'Never', securityContext: { runAsUser: 1000, runAsGroup: 3000, runAsNonRoot: true }, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo $(id -u) $(id -g)'] }] } }),
    });
    await eventually('as-user Succeeded', () => (JSON.parse(kc(server, ['get', 'pod', 'as-user', '-o', 'json'])).status?.phase === 'Succeeded' ? true : undefined), 60_000);
    assert.equal(kc(server, ['logs', 'as-user']), '1000 3000\n');
  });

  test('the agent keeps serving after all of that', async () => {
    kc(server, ['run', 'fine', '--image=busybox', '--restart=Never', '--command', '--', 'sh', '-c', 'echo still here']);
    await eventually('fine Succeeded', () => (JSON.parse(kc(server, ['get', 'pod', 'fine', '-o', 'json'])).status?.phase === 'Succeeded' ? true : undefined), 60_000);
    assert.equal(kc(server, ['logs', 'fine']), 'still here\n');
  });

  test('a container flooding stdout is bounded by log rotation', async () => {
    kc(server, ['run', 'flood', '--image=busybox', '--restart=Never', '--command', '--', 'sh', '-c', 'i=0; while [ $i -lt 40000 ]; do echo "line $i of a container that writes far more than it should"; i=$((i+1)); done']);
    await eventually('flood finished', () => (JSON.parse(kc(server, ['get', 'pod', 'flood', '-o', 'json'])).status?.phase === 'Succeeded' ? true : undefined), 120_000);
    const uid = JSON.parse(kc(server, ['get', 'pod', 'flood', '-o', 'json'])).metadata.uid;
    const dir = join(server.dataDir, 'agent', 'pods', `default_flood_${uid}`, 'flood');
    const files = readdirSync(dir);
    const total = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    // About 2.3 MB were written; at most two files of 64 KiB are kept.
    assert.ok(files.length <= 2, `files kept: ${files.join(', ')}`);
    assert.ok(total <= 2 * 64 * 1024, `bytes kept: ${total}`);
    const tail = kc(server, ['logs', 'flood', '--tail=1']);
    assert.equal(tail, 'line 39999 of a container that writes far more than it should\n');
  });
});
