import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProcProcess } from './proc-files.js';
import { accountSession } from './session-accounting.js';

const proc = (pid: number, ppid: number, own: number, child = 0, o: Partial<ProcProcess> = {}): ProcProcess => ({ pid, ppid, session: 100, state: 'S', ownTicks: own, childTicks: child, startTime: `${pid}0`, rssPages: 10, ...o });

test('sums own and waited-for children time of every live process, and RSS of the non-zombies', () => {
  const r = accountSession(undefined, [proc(100, 1, 5, 2), proc(101, 100, 40), proc(102, 101, 3, 0, { state: 'Z', rssPages: 0 })]);
  assert.equal(r.cpuTicks, 50);
  assert.equal(r.rssPages, 20);
});

test('a child reaped by a live parent moves into its cutime and is not counted twice', () => {
  const a = accountSession(undefined, [proc(100, 1, 5), proc(101, 100, 40)]);
  // 101 ended with 45 ticks, all of which its parent's children time now holds.
  const b = accountSession(a.account, [proc(100, 1, 6, 45)]);
  assert.equal(b.cpuTicks, 51);
  assert.equal(b.account.lostTicks, 0);
});

test('an orphan reaped outside the session keeps its last-seen time', () => {
  const a = accountSession(undefined, [proc(100, 1, 5), proc(101, 100, 10), proc(102, 1, 30, 4)]);
  // 102 had been re-parented to init; it ended and init reaped it.
  const b = accountSession(a.account, [proc(100, 1, 7), proc(101, 100, 12)]);
  assert.equal(b.account.lostTicks, 34);
  assert.equal(b.cpuTicks, 7 + 12 + 34);
});

test('a grandchild reaped by a parent that itself ended and was reaped counts through the grandparent', () => {
  const a = accountSession(undefined, [proc(100, 1, 1), proc(101, 100, 10), proc(102, 101, 20)]);
  const b = accountSession(a.account, [proc(100, 1, 1, 35)]);
  assert.equal(b.account.lostTicks, 0);
  assert.equal(b.cpuTicks, 36);
});

test('a reused pid is a new process: the old one ended', () => {
  const a = accountSession(undefined, [proc(100, 1, 1), proc(105, 1, 9)]);
  const b = accountSession(a.account, [proc(100, 1, 1), proc(105, 100, 2, 0, { startTime: '999' })]);
  assert.equal(b.account.lostTicks, 9);
  assert.equal(b.cpuTicks, 12);
});

test('the counter never goes backwards', () => {
  const a = accountSession(undefined, [proc(100, 1, 50)]);
  // A racy read that saw less than before (e.g. a child reaped between two file reads).
  const b = accountSession(a.account, [{ ...proc(100, 1, 40) }]);
  assert.equal(b.cpuTicks, 50);
  const c = accountSession(b.account, [proc(100, 1, 60)]);
  assert.equal(c.cpuTicks, 60);
});
