import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resource.js';
import { DefaultTolerationSeconds } from './default-toleration-seconds.js';
import { TaintNodesByCondition } from './taint-nodes-by-condition.js';

const podDef = { group: '', version: 'v1', kind: 'Pod', plural: 'pods' } as unknown as ResourceDef;
const nodeDef = { group: '', version: 'v1', kind: 'Node', plural: 'nodes' } as unknown as ResourceDef;
const pod = (tolerations?: unknown[]) => ({ metadata: { name: 'p' }, spec: { containers: [], tolerations } }) as unknown as ApiObject;
const tolerationsOf = (o: ApiObject) => (o.spec as { tolerations?: unknown[] }).tolerations;

describe('DefaultTolerationSeconds', () => {
  const plugin = new DefaultTolerationSeconds(300, 300);
  const nr = { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
  const ur = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
  const cases: { name: string; given?: unknown[]; want: unknown[] }[] = [
    { name: 'adds both', want: [nr, ur] },
    { name: 'keeps an existing not-ready toleration', given: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }], want: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }, ur] },
    { name: 'a wildcard toleration covers both', given: [{ operator: 'Exists' }], want: [{ operator: 'Exists' }] },
    { name: 'a NoSchedule toleration does not count', given: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }], want: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }, nr, ur] },
  ];
  for (const c of cases)
    test(c.name, async () => {
      const p = pod(c.given);
      await plugin.admit('CREATE', podDef, p, undefined, {});
      assert.deepEqual(tolerationsOf(p), c.want);
    });
  test('only pod creation', async () => {
    const p = pod();
    await plugin.admit('UPDATE', podDef, p, pod(), {});
    assert.equal(tolerationsOf(p), undefined);
  });
});

describe('TaintNodesByCondition', () => {
  test('new nodes start not-ready:NoSchedule, once', async () => {
    const n = { metadata: { name: 'n' }, spec: { taints: [{ key: 'a', effect: 'NoExecute' }] } } as unknown as ApiObject;
    const plugin = new TaintNodesByCondition();
    await plugin.admit('CREATE', nodeDef, n, undefined, {});
    await plugin.admit('CREATE', nodeDef, n, undefined, {});
    assert.deepEqual((n.spec as { taints: unknown[] }).taints, [{ key: 'a', effect: 'NoExecute' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }]);
  });
});
