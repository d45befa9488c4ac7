import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseControllerFlags } from './controller-flags.js';

test('controller flags: durations, thresholds and the local-path data dir', () => {
  assert.deepEqual(parseControllerFlags({}), {});
  assert.deepEqual(parseControllerFlags({ 'node-monitor-grace-period': '1m', 'terminated-pod-gc-threshold': '5', 'local-path-data-dir': '/var/lib/x' }), {
    nodeMonitorGracePeriodMs: 60_000,
    terminatedPodGcThreshold: 5,
    localPathDataDir: '/var/lib/x',
  });
  assert.throws(() => parseControllerFlags({ 'local-path-data-dir': 'relative' }), /--local-path-data-dir "relative": must be an absolute path/);
  assert.throws(() => parseControllerFlags({ 'terminated-pod-gc-threshold': '-1' }), /--terminated-pod-gc-threshold/);
});
