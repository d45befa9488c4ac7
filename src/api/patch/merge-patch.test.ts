import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { applyMergePatch, createMergePatch } from './merge-patch.js';
import { PatchError } from './patch-error.js';

describe('applyMergePatch', () => {
  test('RFC 7386 examples', () => {
    assert.deepEqual(applyMergePatch({ a: 'b' }, { a: 'c' }), { a: 'c' });
    assert.deepEqual(applyMergePatch({ a: 'b' }, { b: 'c' }), { a: 'b', b: 'c' });
    assert.deepEqual(applyMergePatch({ a: 'b' }, { a: null }), {});
    assert.deepEqual(applyMergePatch({ a: 'b', b: 'c' }, { a: null }), { b: 'c' });
    assert.deepEqual(applyMergePatch({ a: ['b'] }, { a: 'c' }), { a: 'c' });
    assert.deepEqual(applyMergePatch({ a: 'c' }, { a: ['b'] }), { a: ['b'] });
    assert.deepEqual(applyMergePatch({ a: { b: 'c' } }, { a: { b: 'd', c: null } }), { a: { b: 'd' } });
    assert.deepEqual(applyMergePatch({ a: [{ b: 'c' }] }, { a: [1] }), { a: [1] });
    assert.deepEqual(applyMergePatch({ e: null }, { a: 1 }), { e: null, a: 1 });
    assert.deepEqual(applyMergePatch({}, { a: { bb: { ccc: null } } }), { a: { bb: {} } });
  });

  test('lists replace wholesale; nulls inside inserted objects are pruned', () => {
    const live = { metadata: { labels: { a: '1', b: '2' } }, spec: { containers: [{ name: 'x' }, { name: 'y' }] } };
    const out = applyMergePatch(live, { metadata: { labels: { a: null, c: '3' } }, spec: { containers: [{ name: 'z', image: null }] } });
    assert.deepEqual(out, { metadata: { labels: { b: '2', c: '3' } }, spec: { containers: [{ name: 'z' }] } });
    assert.equal(live.metadata.labels.a, '1');
  });

  test('a non-object patch', () => {
    assert.throws(() => applyMergePatch({ a: 1 }, 'x'), (e: unknown) => e instanceof PatchError && e.message === 'Invalid JSON Patch' && e.kind === 'decode');
    assert.throws(() => applyMergePatch({ a: 1 }, null), PatchError);
  });

  test('createMergePatch round trips', () => {
    const a = { x: 1, y: { z: 2, w: [1] }, gone: true };
    const b = { x: 1, y: { z: 3, w: [1, 2] }, added: 'n' };
    const p = createMergePatch(a, b);
    assert.deepEqual(p, { gone: null, y: { z: 3, w: [1, 2] }, added: 'n' });
    assert.deepEqual(applyMergePatch(a, p), b);
  });
});
