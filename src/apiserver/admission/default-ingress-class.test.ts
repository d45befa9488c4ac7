import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IngressClass } from 'kubernetes-types/networking/v1.js';
import type { ApiObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resource.js';
import { DefaultIngressClass, defaultIngressClassName } from './default-ingress-class.js';

const ingressDef = { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', plural: 'ingresses' } as unknown as ResourceDef;
const cls = (name: string, created: string, isDefault: string | undefined): IngressClass => ({
  metadata: { name, creationTimestamp: created, ...(isDefault === undefined ? {} : { annotations: { 'ingressclass.kubernetes.io/is-default-class': isDefault } }) },
  spec: { controller: `example.com/${name}` },
});
const ingress = (spec: Record<string, unknown> | undefined, annotations?: Record<string, string>) =>
  ({ metadata: { name: 'web', namespace: 'default', ...(annotations ? { annotations } : {}) }, ...(spec ? { spec } : {}) }) as unknown as ApiObject;
const classOf = (o: ApiObject) => (o.spec as { ingressClassName?: string } | undefined)?.ingressClassName;

describe('the default IngressClass', () => {
  test('only classes annotated "true" count; the newest wins, the smaller name on a tie', () => {
    assert.equal(defaultIngressClassName([]), undefined);
    assert.equal(defaultIngressClassName([cls('a', '2024-01-01T00:00:00Z', undefined), cls('b', '2024-01-01T00:00:00Z', 'false'), cls('c', '2024-01-01T00:00:00Z', 'True')]), undefined);
    assert.equal(defaultIngressClassName([cls('old', '2024-01-01T00:00:00Z', 'true'), cls('new', '2024-02-01T00:00:00Z', 'true'), cls('newest-not-default', '2024-03-01T00:00:00Z', undefined)]), 'new');
    assert.equal(defaultIngressClassName([cls('b-x', '2024-01-01T00:00:00Z', 'true'), cls('b.x', '2024-01-01T00:00:00Z', 'true'), cls('c', '2024-01-01T00:00:00Z', 'true')]), 'b-x');
  });
});

describe('DefaultIngressClass admission', () => {
  const classes = [cls('capstan', '2024-01-01T00:00:00Z', 'true'), cls('other', '2024-01-02T00:00:00Z', undefined)];
  const plugin = new DefaultIngressClass(async () => classes);

  test('a new Ingress without a class gets the default', async () => {
    const ing = ingress({ rules: [{ host: 'a.test' }] });
    await plugin.admit('CREATE', ingressDef, ing, undefined, {});
    assert.equal(classOf(ing), 'capstan');
    assert.deepEqual((ing.spec as { rules: unknown }).rules, [{ host: 'a.test' }]);
    const bare = ingress(undefined);
    await plugin.admit('CREATE', ingressDef, bare, undefined, {});
    assert.equal(classOf(bare), 'capstan');
  });

  test('a class named in the spec (even empty) or by the legacy annotation (any value) is kept', async () => {
    for (const [spec, annotations, want] of [
      [{ ingressClassName: 'other' }, undefined, 'other'],
      [{ ingressClassName: '' }, undefined, ''],
      [{}, { 'kubernetes.io/ingress.class': 'nginx' }, undefined],
      [{}, { 'kubernetes.io/ingress.class': '' }, undefined],
    ] as const) {
      const ing = ingress({ ...spec }, annotations && { ...annotations });
      await plugin.admit('CREATE', ingressDef, ing, undefined, {});
      assert.equal(classOf(ing), want);
    }
  });

  test('updates, subresources, other kinds and a cluster without a default class are left alone', async () => {
    const upd = ingress({});
    await plugin.admit('UPDATE', ingressDef, upd, ingress({}), {});
    assert.equal(classOf(upd), undefined);
    const status = ingress({});
    await plugin.admit('CREATE', ingressDef, status, undefined, { subresource: 'status' });
    assert.equal(classOf(status), undefined);
    const other = ingress({});
    await plugin.admit('CREATE', { ...ingressDef, group: 'extensions' } as ResourceDef, other, undefined, {});
    assert.equal(classOf(other), undefined);
    const none = ingress({});
    await new DefaultIngressClass(async () => [classes[1]]).admit('CREATE', ingressDef, none, undefined, {});
    assert.equal(classOf(none), undefined);
  });
});
