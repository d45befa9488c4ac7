/**
 * The agent with the `sandbox` runtime (runc), where the machine has it (root and runc
 * installed; skipped otherwise): pods get their own PID and UTS namespaces and a private root
 * filesystem over the host's, and a container over its memory limit is OOMKilled while a
 * neighbour keeps running. Real `capstan server`, real kubectl.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { e2eSkip, kc } from './harness.js';
import { suiteServer } from './suite-server.js';
import { eventually } from '../support/eventually.js';
import { sandboxUnavailable } from '../../src/agent/runtime/sandbox/probe.js';

const skip = e2eSkip() || ((await sandboxUnavailable()) ?? false);
if (skip) console.log(`# skipping sandbox e2e tests: ${skip}`);

describe('node agent with the sandbox runtime', { skip, timeout: 180_000 }, () => {
  const server = suiteServer({ agent: true, runtime: 'sandbox', deleteAll: ['pods'] });
  const json = (args: string[]) => JSON.parse(kc(server, [...args, '-o', 'json']));

  test('the node reports the sandbox runtime', () => {
    const node = json(['get', 'node', 'capstan-e2e']);
    assert.match(node.status.nodeInfo.containerRuntimeVersion, /^sandbox:\/\//);
  });

  test('a pod has its own hostname, PID namespace and a private root filesystem', async () => {
    const marker = `/capstan-e2e-${process.pid}`;
    kc(server, ['run', 'isolated', '--image=busybox', '--restart=Never', '--command', '--', 'sh', '-c', `hostname; echo pid1=$(cat /proc/1/comm); touch ${marker} && echo wrote`]);
    await eventually('isolated Succeeded', () => (json(['get', 'pod', 'isolated']).status?.phase === 'Succeeded' ? true : undefined), 60_000);
    const out = kc(server, ['logs', 'isolated']).split('\n');
    assert.equal(out[0], 'isolated');
    assert.match(out[1] ?? '', /^pid1=/);
    assert.notEqual(out[1], 'pid1=systemd');
    assert.equal(out[2], 'wrote');
    assert.equal(existsSync(marker), false, 'the write stayed in the container');
  });

  test('a container over its memory limit is OOMKilled while its neighbour keeps running', async () => {
    kc(server, ['run', 'neighbour', '--image=busybox', '--command', '--', 'sleep', '600']);
    kc(server, ['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'hog' },
        spec: { restartPolicy: 'Never', containers: [{ name: 'hog', image: 'busybox', command: ['sh', '-c', 'exec tail /dev/zero'], resources: { limits: { memory: '32Mi' } } }] },
      }),
    });
    const term = await eventually('hog terminated', () => json(['get', 'pod', 'hog']).status?.containerStatuses?.[0]?.state?.terminated, 60_000);
    assert.equal(term.reason, 'OOMKilled');
    assert.equal(term.exitCode, 137);
    await eventually('neighbour Running', () => (json(['get', 'pod', 'neighbour']).status?.phase === 'Running' ? true : undefined), 30_000);
    assert.equal(json(['get', 'pod', 'neighbour']).status.containerStatuses[0].restartCount, 0);
  });
});
