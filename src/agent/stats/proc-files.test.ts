import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgroupV1Usage, cgroupV2Usage, parseBootTime, parseMeminfo, parseNodeCpu, parseProcessStat } from './proc-files.js';

const statLine = (pid: number, comm: string, o: { state?: string; ppid?: number; session?: number; utime?: number; stime?: number; cutime?: number; cstime?: number; start?: number; rss?: number } = {}) =>
  `${pid} (${comm}) ${o.state ?? 'S'} ${o.ppid ?? 1} ${pid} ${o.session ?? pid} 0 -1 4194304 103 0 0 0 ${o.utime ?? 0} ${o.stime ?? 0} ${o.cutime ?? 0} ${o.cstime ?? 0} 20 0 1 0 ${o.start ?? 1000} 3133440 ${o.rss ?? 0} 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`;

test('parseProcessStat reads ids, CPU ticks, start time and RSS, even with spaces and parentheses in the name', () => {
  const p = parseProcessStat(statLine(4242, 'my (weird) cmd', { state: 'R', ppid: 7, session: 4200, utime: 150, stime: 50, cutime: 30, cstime: 20, start: 98765, rss: 1234 }));
  assert.deepEqual(p, { pid: 4242, state: 'R', ppid: 7, session: 4200, ownTicks: 200, childTicks: 50, startTime: '98765', rssPages: 1234 });
});

test('parseProcessStat refuses truncated or garbled text', () => {
  assert.equal(parseProcessStat(''), undefined);
  assert.equal(parseProcessStat('12 (sh) S 1 2 3'), undefined);
  assert.equal(parseProcessStat('x (sh) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0 0'), undefined);
});

test('parseNodeCpu counts user, nice, system, irq and softirq as busy; idle and iowait as idle', () => {
  const t = parseNodeCpu('cpu  100 5 50 1000 40 3 2 7 11 0\ncpu0 1 2 3 4 5 6 7 8 9 10\nbtime 1700000000\n');
  assert.deepEqual(t, { busy: 160, idle: 1040, steal: 7 });
  assert.equal(parseNodeCpu('intr 1 2 3\n'), undefined);
  assert.equal(parseBootTime('cpu 1 2 3 4\nbtime 1700000000\n'), 1_700_000_000_000);
});

test('parseMeminfo converts kB to bytes and estimates MemAvailable on old kernels', () => {
  assert.deepEqual(parseMeminfo('MemTotal:       1000 kB\nMemFree:         200 kB\nMemAvailable:    600 kB\nCached: 100 kB\n'), { totalBytes: 1_024_000, freeBytes: 204_800, availableBytes: 614_400 });
  assert.deepEqual(parseMeminfo('MemTotal: 1000 kB\nMemFree: 200 kB\nBuffers: 50 kB\nCached: 100 kB\n'), { totalBytes: 1_024_000, freeBytes: 204_800, availableBytes: 358_400 });
  assert.equal(parseMeminfo('MemFree: 1 kB\n'), undefined);
});

test('cgroup v2 and v1 usage: CPU in ns, working set is usage less inactive file pages', () => {
  assert.deepEqual(cgroupV2Usage('usage_usec 2500\nuser_usec 2000\n', '10000\n', 'anon 100\ninactive_file 3000\n'), { cpuNs: 2_500_000, usageBytes: 10000, workingSetBytes: 7000 });
  assert.equal(cgroupV2Usage('user_usec 1\n', '10\n', ''), undefined);
  assert.deepEqual(cgroupV1Usage('123456789\n', '8192\n', 'cache 1\ntotal_inactive_file 10000\n'), { cpuNs: 123_456_789, usageBytes: 8192, workingSetBytes: 0 });
});
