import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultSimOptions } from '../sim/sim-options.js';
import { simNodeIdentity } from '../sim/node-object.js';
import { validateSimOptions } from '../sim/simulated-nodes.js';
import { parseSimArgs } from './sim-command.js';

test('--first-index numbers the nodes from N', () => {
  const { options } = parseSimArgs(['--kubeconfig', 'k', '--nodes', '1', '--first-index', '3']);
  assert.equal(options.firstIndex, 3);
  assert.equal(parseSimArgs(['--nodes', '2']).options.firstIndex, 0);
  // Node 3 of one simulator is what node 3 of a single simulator of four would be.
  const id = simNodeIdentity(options.firstIndex!, { ...defaultSimOptions, ...options });
  assert.deepEqual([id.name, id.internalIP, id.zone], ['sim-3', '127.128.0.4', 'zone-a']);
});

test('--first-index must be a non-negative integer', () => {
  assert.throws(() => parseSimArgs(['--nodes', '1', '--first-index', 'two']), /invalid --first-index "two"/);
  assert.throws(() => validateSimOptions({ ...defaultSimOptions, firstIndex: 1.5 }), /firstIndex must be an integer of at least 0/);
});

test('--node-lease-duration-seconds sets the Lease duration and renews every quarter of it', () => {
  const { options } = parseSimArgs(['--nodes', '1', '--node-lease-duration-seconds', '4']);
  assert.equal(options.leaseDurationSeconds, 4);
  assert.equal(options.leaseRenewIntervalMs, 1000);
  assert.equal(parseSimArgs(['--nodes', '1']).options.leaseDurationSeconds, undefined);
  assert.throws(() => parseSimArgs(['--nodes', '1', '--node-lease-duration-seconds', '0']), /at least 1/);
});
