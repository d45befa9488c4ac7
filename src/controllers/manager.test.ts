import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { enabledControllers } from './manager.js';
import { publishAction, rootCaConfigMapName } from './root-ca-cert-publisher/publisher.js';
import { missingServiceAccounts } from './serviceaccount/serviceaccounts-controller.js';

describe('enabledControllers (--controllers)', () => {
  const all = ['namespace', 'replicaset', 'garbagecollector'];
  const cases: { sel?: string[]; want: string[] | RegExp }[] = [
    { sel: undefined, want: all },
    { sel: ['*'], want: all },
    { sel: ['*', '-garbagecollector'], want: ['namespace', 'replicaset'] },
    { sel: ['replicaset'], want: ['replicaset'] },
    { sel: ['nope'], want: /unknown controller "nope"/ },
  ];
  for (const c of cases) {
    test(JSON.stringify(c.sel), () => {
      if (c.want instanceof RegExp) assert.throws(() => enabledControllers(c.sel, all), c.want);
      else assert.deepEqual(enabledControllers(c.sel, all), c.want);
    });
  }
});

test('missingServiceAccounts: default in active namespaces only', () => {
  assert.deepEqual(missingServiceAccounts({ metadata: { name: 'a' } }, new Set()), ['default']);
  assert.deepEqual(missingServiceAccounts({ metadata: { name: 'a' } }, new Set(['default'])), []);
  assert.deepEqual(missingServiceAccounts({ metadata: { name: 'a', deletionTimestamp: 'x' } }, new Set()), []);
  assert.deepEqual(missingServiceAccounts(undefined, new Set()), []);
});

test('publishAction: create, repair, leave alone', () => {
  const ns = { metadata: { name: 'a' } };
  const created = publishAction(ns, undefined, 'PEM');
  assert.equal(created.kind, 'create');
  const cm = created.kind === 'create' ? created.configMap : undefined;
  assert.equal(cm?.metadata?.name, rootCaConfigMapName);
  assert.deepEqual(cm?.data, { 'ca.crt': 'PEM' });
  assert.deepEqual(publishAction(ns, cm, 'PEM'), { kind: 'none' });
  const edited = { ...cm!, data: { 'ca.crt': 'OLD', extra: 'x' } };
  const repaired = publishAction(ns, edited, 'PEM');
  assert.equal(repaired.kind, 'update');
  assert.deepEqual(repaired.kind === 'update' && repaired.configMap.data, { 'ca.crt': 'PEM' });
  assert.deepEqual(publishAction({ metadata: { name: 'a', deletionTimestamp: 'x' } }, undefined, 'PEM'), { kind: 'none' });
});
