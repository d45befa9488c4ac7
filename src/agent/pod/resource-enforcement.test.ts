import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerLimitsNotEnforcedMessage, nodeLimitsNotEnforcedMessage } from './resource-enforcement.js';

test('containers with cpu or memory limits get a warning naming them; others none', () => {
  assert.equal(containerLimitsNotEnforcedMessage({ name: 'a', resources: { requests: { cpu: '1' } } }, 'process'), undefined);
  assert.match(containerLimitsNotEnforcedMessage({ name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' } } }, 'process')!, /^container a has cpu and memory limits, which the process runtime does not enforce; run the agent as root with runc/);
  assert.match(nodeLimitsNotEnforcedMessage('process'), /CPU and memory limits are not enforced/);
});
