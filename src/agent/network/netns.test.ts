import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { deleteNetns, ensureNetns, netnsPath } from './netns.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : spawnSync('ip', ['-V']).status !== 0 ? 'needs iproute2' : false;

test("deleting a namespace also removes its /etc/netns files, which ip netns delete leaves; twice is fine", { skip }, async () => {
  const name = `capstan-nstest-${process.pid}`;
  const etc = path.join('/etc/netns', name);
  try {
    await ensureNetns(name);
    mkdirSync(etc, { recursive: true });
    writeFileSync(path.join(etc, 'hosts'), '127.0.0.1\tlocalhost\n');
    await deleteNetns(name);
    assert.equal(existsSync(netnsPath(name)), false);
    assert.equal(existsSync(etc), false);
    await deleteNetns(name);
  } finally {
    spawnSync('ip', ['netns', 'delete', name]);
    spawnSync('rm', ['-rf', etc]);
  }
});
