import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, parseLabelList, parseTaintList } from './sim-options.js';

describe('simulator flag syntax', () => {
  test('labels', () => {
    assert.deepEqual(parseLabelList(''), {});
    assert.deepEqual(parseLabelList('a=b, example.com/c=d,e='), { a: 'b', 'example.com/c': 'd', e: '' });
    assert.throws(() => parseLabelList('novalue'), /invalid label "novalue"/);
  });

  test('taints', () => {
    assert.deepEqual(parseTaintList('gpu=true:NoSchedule,dedicated:NoExecute'), [
      { key: 'gpu', value: 'true', effect: 'NoSchedule' },
      { key: 'dedicated', effect: 'NoExecute' },
    ]);
    assert.throws(() => parseTaintList('a=b'), /want key\[=value\]:Effect/);
    assert.throws(() => parseTaintList('a=b:Sometimes'), /invalid taint effect "Sometimes"/);
  });

  test('durations in Go syntax', () => {
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('0s'), 0);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.throws(() => parseDuration('5'), /invalid duration/);
    assert.throws(() => parseDuration('-1s'), /invalid duration/);
    assert.throws(() => parseDuration(''), /invalid duration/);
  });
});
