import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { StatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resource.js';
import { mirrorPodProblem, mountServiceAccountToken, ServiceAccountAdmission, serviceAccountTokenMountPath, tokenVolumeSource } from './service-account.js';

const podDef = { group: '', version: 'v1', kind: 'Pod', plural: 'pods' } as unknown as ResourceDef;
const cmDef = { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps' } as unknown as ResourceDef;
const mount = { name: 'kube-api-access-abcde', readOnly: true, mountPath: serviceAccountTokenMountPath };

function pod(spec: Partial<Pod['spec']> = {}): Pod {
  return { metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'i' }], ...spec } } as Pod;
}

function plugin(accounts: Record<string, ServiceAccount>, reads: string[] = [], sleeps: number[] = []) {
  return new ServiceAccountAdmission({
    getServiceAccount: async (ns, name) => {
      reads.push(`${ns}/${name}`);
      return accounts[`${ns}/${name}`];
    },
    nameSuffix: () => 'abcde',
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
  });
}

const admit = (p: ServiceAccountAdmission, obj: Pod, op: 'CREATE' | 'UPDATE' = 'CREATE', def = podDef) => p.admit(op, def, obj as unknown as ApiObject, undefined, { dryRun: false });
const dflt: ServiceAccount = { metadata: { name: 'default', namespace: 'ns' } };

describe('ServiceAccount admission', () => {
  test('defaults the account, adds the projected volume and a read-only mount to every container', async () => {
    const p = pod({ initContainers: [{ name: 'init', image: 'i' }] });
    await admit(plugin({ 'ns/default': dflt }), p);
    assert.equal(p.spec!.serviceAccountName, 'default');
    assert.equal(p.spec!.serviceAccount, 'default', 'the deprecated alias follows');
    assert.deepEqual(p.spec!.volumes, [
      {
        name: 'kube-api-access-abcde',
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
          ],
        },
      },
    ]);
    assert.deepEqual(p.spec!.containers[0].volumeMounts, [mount]);
    assert.deepEqual(p.spec!.initContainers![0].volumeMounts, [mount]);
  });

  test('automountServiceAccountToken: the pod wins over the account', async () => {
    const off: ServiceAccount = { ...dflt, automountServiceAccountToken: false };
    const a = pod();
    await admit(plugin({ 'ns/default': off }), a);
    assert.equal(a.spec!.volumes, undefined);
    assert.equal(a.spec!.containers[0].volumeMounts, undefined);
    const b = pod({ automountServiceAccountToken: true });
    await admit(plugin({ 'ns/default': off }), b);
    assert.equal(b.spec!.volumes?.length, 1);
    const c = pod({ automountServiceAccountToken: false });
    await admit(plugin({ 'ns/default': dflt }), c);
    assert.equal(c.spec!.volumes, undefined);
  });

  test('a container that already mounts the token path is left alone; none needing it adds no volume', async () => {
    const own = { name: 'mine', mountPath: serviceAccountTokenMountPath };
    const p = pod({ containers: [{ name: 'a', image: 'i', volumeMounts: [own] }, { name: 'b', image: 'i' }], volumes: [{ name: 'mine', emptyDir: {} }] });
    await admit(plugin({ 'ns/default': dflt }), p);
    assert.deepEqual(p.spec!.containers[0].volumeMounts, [own]);
    assert.deepEqual(p.spec!.containers[1].volumeMounts, [mount]);
    assert.equal(p.spec!.volumes!.length, 2);
    const q = pod({ containers: [{ name: 'a', image: 'i', volumeMounts: [own] }], volumes: [{ name: 'mine', emptyDir: {} }] });
    await admit(plugin({ 'ns/default': dflt }), q);
    assert.deepEqual(q.spec!.volumes, [{ name: 'mine', emptyDir: {} }]);
  });

  test('an existing kube-api-access volume is reused; mounting twice changes nothing', () => {
    const spec = pod().spec!;
    mountServiceAccountToken(spec, () => 'abcde');
    const once = structuredClone(spec);
    mountServiceAccountToken(spec, () => 'zzzzz');
    assert.deepEqual(spec, once);
    const reuse = pod({ volumes: [{ name: 'kube-api-access-qqqqq', projected: tokenVolumeSource() }] }).spec!;
    mountServiceAccountToken(reuse, () => 'abcde');
    assert.equal(reuse.volumes!.length, 1);
    assert.equal(reuse.containers[0].volumeMounts![0].name, 'kube-api-access-qqqqq');
  });

  test('ephemeral containers get no mount (as upstream)', async () => {
    const p = pod({ ephemeralContainers: [{ name: 'e', image: 'i' }] });
    await admit(plugin({ 'ns/default': dflt }), p);
    assert.equal(p.spec!.ephemeralContainers![0].volumeMounts, undefined);
  });

  test('updates, subresources and other kinds are untouched', async () => {
    const p = pod();
    await admit(plugin({}), p, 'UPDATE');
    assert.equal(p.spec!.serviceAccountName, undefined);
    const q = pod();
    await plugin({}).admit('CREATE', podDef, q as unknown as ApiObject, undefined, { dryRun: false, subresource: 'binding' });
    assert.equal(q.spec!.volumes, undefined);
    await admit(plugin({}), pod(), 'CREATE', cmDef);
  });

  test('a missing account refuses the pod; default is retried ten times first', async () => {
    const reads: string[] = [];
    const sleeps: number[] = [];
    await assert.rejects(admit(plugin({}, reads, sleeps), pod()), (e: StatusError) => {
      assert.equal(e.code, 403);
      assert.equal(e.message, 'pods "p" is forbidden: error looking up service account ns/default: serviceaccount "default" not found');
      return true;
    });
    assert.equal(reads.length, 10);
    assert.deepEqual(new Set(sleeps), new Set([150]));
    const named: string[] = [];
    await assert.rejects(admit(plugin({}, named), pod({ serviceAccountName: 'robot' })), /serviceaccount "robot" not found/);
    assert.equal(named.length, 1);
  });

  test("the account's imagePullSecrets are copied when the pod has none", async () => {
    const sa: ServiceAccount = { ...dflt, imagePullSecrets: [{ name: 'reg' }] };
    const p = pod();
    await admit(plugin({ 'ns/default': sa }), p);
    assert.deepEqual(p.spec!.imagePullSecrets, [{ name: 'reg' }]);
    const q = pod({ imagePullSecrets: [{ name: 'own' }] });
    await admit(plugin({ 'ns/default': sa }), q);
    assert.deepEqual(q.spec!.imagePullSecrets, [{ name: 'own' }]);
  });

  test('mirror pods are never changed and may not reference accounts, secrets or tokens', async () => {
    const mirror = (spec: Partial<Pod['spec']>) => ({ ...pod(spec), metadata: { name: 'm', namespace: 'ns', annotations: { 'kubernetes.io/config.mirror': 'x' } } }) as Pod;
    const ok = mirror({});
    await admit(plugin({}), ok);
    assert.equal(ok.spec!.serviceAccountName, undefined);
    assert.equal(ok.spec!.volumes, undefined);
    await assert.rejects(admit(plugin({}), mirror({ serviceAccountName: 'x' })), /a mirror pod may not reference service accounts/);
    assert.equal(mirrorPodProblem(mirror({ volumes: [{ name: 's', secret: { secretName: 's' } }] })), 'a mirror pod may not reference secrets');
    assert.equal(mirrorPodProblem(mirror({ volumes: [{ name: 't', projected: tokenVolumeSource() }] })), 'a mirror pod may not use ServiceAccountToken volume projections');
  });
});
