import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerStatus } from '../runtime/runtime.js';
import { fallsBackToLogs, lastBytes, logReadErrorMessage, withTerminationMessage } from './termination-message.js';

const exited = (exitCode: number, policy?: string, reason = exitCode === 0 ? 'Completed' : 'Error'): ContainerStatus => ({
  id: 'c1',
  sandboxId: 's1',
  metadata: { name: 'c', attempt: 0 },
  state: 'CONTAINER_EXITED',
  image: 'img',
  createdAt: 1,
  startedAt: 2,
  finishedAt: 3,
  exitCode,
  reason,
  message: '',
  logPath: '/logs/c/0.log',
  labels: {},
  annotations: policy ? { 'io.kubernetes.container.terminationMessagePolicy': policy } : {},
});

test('only a failed container under FallbackToLogsOnError reads its log', () => {
  assert.equal(fallsBackToLogs(exited(1, 'FallbackToLogsOnError')), true);
  assert.equal(fallsBackToLogs(exited(0, 'FallbackToLogsOnError')), false);
  assert.equal(fallsBackToLogs(exited(1, 'File')), false);
  assert.equal(fallsBackToLogs(exited(1)), false);
  assert.equal(fallsBackToLogs(exited(128, 'FallbackToLogsOnError', 'ContainerCannotRun')), false);
  assert.equal(fallsBackToLogs({ ...exited(1, 'FallbackToLogsOnError'), state: 'CONTAINER_RUNNING' }), false);
});

test('the message keeps the last 2048 bytes of the tail', () => {
  assert.equal(lastBytes([Buffer.from('a\n'), Buffer.from('b\n')]), 'a\nb\n');
  const long = 'x'.repeat(3000) + 'END';
  const kept = lastBytes([Buffer.from(long)]);
  assert.equal(kept.length, 2048);
  assert.ok(kept.endsWith('END'));
  assert.equal(lastBytes([Buffer.from('abcdef')], 3), 'def');
});

test('the runtime message comes first', () => {
  assert.equal(withTerminationMessage('', 'boom\n'), 'boom\n');
  assert.equal(withTerminationMessage('killed', 'boom'), 'killed: boom');
  assert.equal(withTerminationMessage('killed', ''), 'killed');
  assert.equal(logReadErrorMessage(new Error('EACCES')), 'Error on reading termination message from logs: EACCES');
});
