import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byKey, compareStrings } from './compare.js';

test('strings compare by code unit, as < does', () => {
  assert.deepEqual(['b', 'B', 'a', 'ab', ''].sort(compareStrings), ['', 'B', 'a', 'ab', 'b']);
  assert.equal(compareStrings('x', 'x'), 0);
});

test('byKey sorts items by a string key', () => {
  const items = [{ k: '10.0.0.2' }, { k: '10.0.0.10' }, { k: '10.0.0.1' }];
  assert.deepEqual(items.sort(byKey((i) => i.k)).map((i) => i.k), ['10.0.0.1', '10.0.0.10', '10.0.0.2']);
});
