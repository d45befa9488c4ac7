/**
 * securityContext with the `sandbox` runtime (runc), where the machine can run it (skipped with
 * the probe's reason otherwise): runAsUser, runAsGroup, fsGroup and supplementalGroups in `id`
 * for the container and for `kubectl exec`; readOnlyRootFilesystem; dropped and privileged
 * capabilities; runAsNonRoot without a user refused with the kubelet's message. Real `capstan
 * server`, real kubectl.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { e2eSkip, kc, kubectl } from './harness.js';
import { suiteServer } from './suite-server.js';
import { eventually } from '../support/eventually.js';
import { sandboxUnavailable } from '../../src/agent/runtime/sandbox/probe.js';

const skip = e2eSkip() || ((await sandboxUnavailable()) ?? false);
if (skip) console.log(`# skipping securityContext e2e tests: ${skip}`);

const capEff = (status: string) => /^CapEff:\s*(\S+)$/m.exec(status)?.[1];

describe('securityContext with the sandbox runtime', { skip, timeout: 180_000 }, () => {
  const server = suiteServer({ agent: true, runtime: 'sandbox', cleanUp: (s) => kubectl(s, ['delete', 'pods', '--all', '--wait=true', '--timeout=60s', '--grace-period=0']) });
  const json = (args: string[]) => JSON.parse(kc(server, [...args, '-o', 'json']));
  const apply = (name: string, spec: Record<string, unknown>) => kc(server, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec }) });
  const running = (name: string) => eventually(`${name} Running`, () => (json(['get', 'pod', name]).status?.phase === 'Running' ? true : undefined), 60_000);
  const sleeper = (securityContext?: Record<string, unknown>) => ({ name: 'c', image: 'busybox', command: ['sleep', '600'], ...(securityContext ? { securityContext } : {}) });

  test('id shows runAsUser, runAsGroup, fsGroup and supplementalGroups, in the container and in kubectl exec', async () => {
    apply('ids', {
      securityContext: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000] },
      containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'id -u; id -g; id -G; exec sleep 600'] }],
    });
    await running('ids');
    const logs = await eventually('ids logs', () => {
      const out = kc(server, ['logs', 'ids']).trim().split('\n');
      return out.length >= 3 ? out : undefined;
    });
    assert.deepEqual(logs.slice(0, 2), ['1000', '3000']);
    assert.deepEqual(logs[2]!.split(' ').sort(), ['2000', '3000', '4000']);
    const id = kc(server, ['exec', 'ids', '--', 'id']).trim();
    assert.match(id, /^uid=1000(\([^)]*\))? gid=3000 groups=/);
    for (const g of ['2000', '3000', '4000']) assert.match(id, new RegExp(`groups=.*\\b${g}\\b`));
  });

  test('readOnlyRootFilesystem: writing to / fails with "Read-only file system"', async () => {
    apply('read-only', { containers: [sleeper({ readOnlyRootFilesystem: true })] });
    await running('read-only');
    const r = kubectl(server, ['exec', 'read-only', '--', 'touch', '/x']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Read-only file system/);
  });

  test('dropping ALL capabilities: CapEff is 0 and root cannot chown', async () => {
    apply('no-caps', { containers: [sleeper({ capabilities: { drop: ['ALL'] } })] });
    await running('no-caps');
    assert.equal(capEff(kc(server, ['exec', 'no-caps', '--', 'cat', '/proc/self/status'])), '0000000000000000');
    const r = kubectl(server, ['exec', 'no-caps', '--', 'chown', '1', '/tmp']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Operation not permitted/);
  });

  test('privileged: every capability the agent holds', async () => {
    apply('privileged', { containers: [sleeper({ privileged: true })] });
    await running('privileged');
    // The agent runs as root beside this test, with the same capabilities.
    const own = capEff(readFileSync('/proc/self/status', 'utf8'));
    assert.equal(capEff(kc(server, ['exec', 'privileged', '--', 'cat', '/proc/self/status'])), own);
  });

  test('runAsNonRoot without runAsUser: CreateContainerConfigError with the kubelet message', async () => {
    apply('non-root', { securityContext: { runAsNonRoot: true }, containers: [{ name: 'c', image: 'busybox', command: ['true'] }] });
    const w = await eventually(
      'non-root waiting',
      () => {
        const s = json(['get', 'pod', 'non-root']).status?.containerStatuses?.[0]?.state?.waiting;
        return s?.reason === 'CreateContainerConfigError' ? (s as { message: string }) : undefined;
      },
      60_000,
    );
    const uid = json(['get', 'pod', 'non-root']).metadata.uid;
    const message = `container has runAsNonRoot and image will run as root (pod: "non-root_default(${uid})", container: c)`;
    assert.equal(w.message, message);
    assert.match(kc(server, ['get', 'pod', 'non-root']), /CreateContainerConfigError/);
    const events = kc(server, ['get', 'events', '--field-selector', 'involvedObject.name=non-root', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
    assert.ok(events.includes(`Failed: Error: ${message}`), events);
  });
});
