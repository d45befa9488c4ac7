import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { activeDeadline, deadlineExceededMessage, deadlineExceededReason } from './active-deadline.js';

const pod = (seconds?: number): Pod => ({ metadata: { name: 'p' }, spec: { containers: [], ...(seconds !== undefined ? { activeDeadlineSeconds: seconds } : {}) } });
const start = '2025-01-01T00:00:00Z';
const t0 = Date.parse(start);

test('no deadline without activeDeadlineSeconds or a start time', () => {
  assert.deepEqual(activeDeadline(pod(), start, t0 + 1e9), { exceeded: false });
  assert.deepEqual(activeDeadline(pod(5), undefined, t0 + 1e9), { exceeded: false });
  assert.deepEqual(activeDeadline(pod(5), 'not a time', t0 + 1e9), { exceeded: false });
});

test('the time left, then exceeded once the deadline is reached', () => {
  assert.deepEqual(activeDeadline(pod(5), start, t0 + 1500), { exceeded: false, remainingMs: 3500 });
  assert.deepEqual(activeDeadline(pod(5), start, t0 + 5000), { exceeded: true });
  assert.deepEqual(activeDeadline(pod(5), start, t0 + 9000), { exceeded: true });
});

test('upstream reason and message', () => {
  assert.equal(deadlineExceededReason, 'DeadlineExceeded');
  assert.equal(deadlineExceededMessage, 'Pod was active on the node longer than the specified deadline');
});
