import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch } from './json-patch.js';
import { jsonPatchStatusError, PatchError } from './patch-error.js';

const doc = () => ({ metadata: { name: 'a', labels: { 'app/x': '1', 'a~b': '2' } }, spec: { list: [1, 2, 3], replicas: 1 } });

function fails(patch: unknown, message: string): void {
  assert.throws(() => applyJsonPatch(doc(), patch), (e: unknown) => e instanceof PatchError && e.message === message);
}

describe('applyJsonPatch', () => {
  test('add, remove, replace, move, copy, test', () => {
    const src = doc();
    const out = applyJsonPatch(src, [
      { op: 'add', path: '/spec/foo', value: { a: 1 } },
      { op: 'add', path: '/spec/list/-', value: 4 },
      { op: 'add', path: '/spec/list/0', value: 0 },
      { op: 'remove', path: '/spec/list/1' },
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'move', from: '/spec/foo', path: '/spec/bar' },
      { op: 'copy', from: '/spec/bar', path: '/spec/baz' },
      { op: 'test', path: '/spec/baz', value: { a: 1 } },
    ]);
    assert.deepEqual(out.spec, { list: [0, 2, 3, 4], replicas: 3, bar: { a: 1 }, baz: { a: 1 } });
    assert.deepEqual(src.spec.list, [1, 2, 3], 'input untouched');
  });

  test('~0 and ~1 escapes', () => {
    const out = applyJsonPatch(doc(), [
      { op: 'replace', path: '/metadata/labels/app~1x', value: 'y' },
      { op: 'remove', path: '/metadata/labels/a~0b' },
    ]);
    assert.deepEqual(out.metadata.labels, { 'app/x': 'y' });
  });

  test('replace of a missing object member adds it, as evanphx/json-patch v4 does', () => {
    const out = applyJsonPatch(doc(), [{ op: 'replace', path: '/spec/x', value: 1 }]) as { spec: Record<string, unknown> };
    assert.equal(out.spec.x, 1);
  });

  test('kube-apiserver wording of failures', () => {
    fails([{ op: 'add', path: '/spec/foo/bar', value: 1 }], 'add operation does not apply: doc is missing path: "/spec/foo/bar": missing value');
    fails([{ op: 'remove', path: '/spec/foo' }], "error in remove for path: '/spec/foo': Unable to remove nonexistent key: foo: missing value");
    fails([{ op: 'remove', path: '/spec/nope/x' }], 'remove operation does not apply: doc is missing path: "/spec/nope/x": missing value');
    fails([{ op: 'replace', path: '/spec/list/9', value: 1 }], 'replace operation does not apply: doc is missing key: /spec/list/9: missing value');
    fails([{ op: 'test', path: '/spec/replicas', value: 2 }], 'testing value /spec/replicas failed: test failed');
    fails([{ op: 'add', path: '/spec/list/7', value: 1 }], "error in add for path: '/spec/list/7': Unable to access invalid index: 7: invalid index referenced");
    fails([{ op: 'add', path: '/spec/list/x', value: 1 }], `error in add for path: '/spec/list/x': value was not a proper array index: 'x': strconv.Atoi: parsing "x": invalid syntax`);
    fails([{ op: 'move', from: '/spec/nope', path: '/spec/x' }], "error in move for path: 'nope': Unable to remove nonexistent key: nope: missing value");
    fails([{ op: 'frob', path: '/x' }], 'Unexpected kind: frob');
    fails([{ op: 'add' }], 'add operation failed to decode path: missing value');
  });

  test('test of an absent member against null passes', () => {
    assert.doesNotThrow(() => applyJsonPatch(doc(), [{ op: 'test', path: '/spec/absent', value: null }]));
  });

  test('status errors as kube-apiserver answers them', () => {
    assert.throws(() => applyJsonPatch(doc(), { op: 'add' }), (e: unknown) => {
      const s = jsonPatchStatusError(e as PatchError).toStatus();
      return s.code === 400 && s.message === 'json: cannot unmarshal object into Go value of type jsonpatch.Patch';
    });
    try {
      applyJsonPatch(doc(), [{ op: 'test', path: '/spec/replicas', value: 5 }]);
      assert.fail('expected failure');
    } catch (e) {
      const s = jsonPatchStatusError(e as PatchError).toStatus();
      assert.equal(s.code, 422);
      assert.equal(s.reason, 'Invalid');
      assert.equal(s.message, 'the server rejected our request due to an error in our request');
    }
  });
});
