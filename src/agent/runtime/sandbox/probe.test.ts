/**
 * The sandbox probe: a runc that does not run is reported in its own words; where the sandbox
 * can run (root, runc, overlays, cgroups) the probe passes and leaves nothing behind, and auto
 * detection falls back to the process runtime where it fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../../util/logger.js';
import { detectRuntime } from '../detect.js';
import { probeSandboxHost, sandboxUnavailable } from './probe.js';
import { mountOverlay, unmount } from './rootfs.js';
import { findRunc } from './runc.js';

test('a runc that fails is the reason', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'capstan-probe-test-'));
  try {
    assert.match((await probeSandboxHost('/bin/false', dir)) ?? '', /^\/bin\/false does not run: /);
    assert.match((await probeSandboxHost(path.join(dir, 'no-such-runc'), dir)) ?? '', /no-such-runc does not run: .*ENOENT/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('where the sandbox can run, the probe passes and cleans up', async (t) => {
  const why = await sandboxUnavailable();
  if (why) {
    t.skip(why);
    return;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'capstan-probe-test-'));
  try {
    assert.equal(await probeSandboxHost((await findRunc())!, dir), undefined);
    assert.deepEqual(await readdir(dir), []);
    assert.ok(!(await readFile('/proc/self/mountinfo', 'utf8')).includes(dir));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('auto detection falls back to the process runtime, logging why, where overlays cannot be mounted', async (t) => {
  const why = await sandboxUnavailable();
  if (why) {
    t.skip(why);
    return;
  }
  // An overlay cannot take its upper layer from another overlay: a state directory inside one
  // stands for a machine without usable overlays.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'capstan-probe-test-'));
  const outer = path.join(dir, 'outer');
  await mkdir(path.join(dir, 'l'));
  await mountOverlay({ upper: path.join(dir, 'u'), work: path.join(dir, 'w'), target: outer }, path.join(dir, 'l'));
  const warnings: unknown[] = [];
  const logger = { debug() {}, info() {}, warn: (msg: string, fields?: Record<string, unknown>) => warnings.push({ msg, ...fields }), error() {} } as unknown as Logger;
  try {
    const { runtime, choice } = await detectRuntime({ want: 'auto', processRoot: path.join(dir, 'process'), sandboxRoot: path.join(outer, 'sandbox'), logger });
    await runtime.close();
    assert.equal(choice.name, 'process');
    assert.match(choice.name === 'process' ? choice.why : '', /^cannot mount an overlay root filesystem: mount: /);
    assert.equal(warnings.length, 1);
    await assert.rejects(detectRuntime({ want: 'sandbox', processRoot: path.join(dir, 'process'), sandboxRoot: path.join(outer, 'sandbox') }), /the sandbox runtime cannot run here: cannot mount an overlay/);
  } finally {
    await unmount(outer);
    await rm(dir, { recursive: true, force: true });
  }
});
