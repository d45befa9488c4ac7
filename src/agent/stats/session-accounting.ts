/**
 * Cumulative CPU time of a container that is a process session (the process runtime), from
 * successive reads of its processes' /proc/<pid>/stat.
 *
 * A process's own time (utime + stime) vanishes from /proc when it is reaped; the kernel then adds
 * its whole account (own time and that of the children it reaped) to its parent's cutime/cstime,
 * but only when the parent waits for it. So the container's time is the sum over its live
 * processes of own + reaped-children time, plus the last-seen account of every process that
 * ended without its time reaching a live process of the session ("lost"): one whose nearest
 * surviving ancestor is outside the session (an orphan re-parented to init or a subreaper).
 *
 * Limits, documented rather than hidden: time a process used after the last read and before it
 * was lost is not counted; a child reaped by a parent that ignores SIGCHLD (auto-reap) adds
 * nothing to the parent; processes that leave the session (setsid) stop counting; when a parent
 * and its child both end between two reads, the child is assumed to have been reaped by it. The
 * reported counter never goes backwards.
 */
import type { ProcProcess } from './proc-files.js';

export interface SessionAccount {
  /** The session's processes at the last read, by pid. */
  seen: ReadonlyMap<number, ProcProcess>;
  /** Ticks of processes that ended without their time reaching a live process of the session. */
  lostTicks: number;
  /** The value last reported. */
  reportedTicks: number;
}

export interface SessionReading {
  account: SessionAccount;
  /** Cumulative CPU ticks of the session. */
  cpuTicks: number;
  /** Resident pages of its live processes (shared pages are counted once per process). */
  rssPages: number;
}

const total = (p: ProcProcess) => p.ownTicks + p.childTicks;
const sameProcess = (a: ProcProcess | undefined, b: ProcProcess | undefined) => !!a && !!b && a.startTime === b.startTime;

/** Folds one read of the session's processes (`procs`, zombies included) into `prev`. */
export function accountSession(prev: SessionAccount | undefined, procs: readonly ProcProcess[]): SessionReading {
  const now = new Map(procs.map((p) => [p.pid, p]));
  const before = prev?.seen ?? new Map<number, ProcProcess>();
  const survived = (pid: number) => sameProcess(before.get(pid), now.get(pid));

  let lost = prev?.lostTicks ?? 0;
  for (const old of before.values()) {
    if (sameProcess(old, now.get(old.pid))) continue;
    if (!reachedLiveAncestor(old, before, survived)) lost += total(old);
  }

  let live = 0;
  let rss = 0;
  for (const p of procs) {
    live += total(p);
    if (p.state !== 'Z' && p.state !== 'X') rss += Math.max(0, p.rssPages);
  }
  const cpuTicks = Math.max(prev?.reportedTicks ?? 0, live + lost);
  return { account: { seen: now, lostTicks: lost, reportedTicks: cpuTicks }, cpuTicks, rssPages: rss };
}

/** Whether an ended process's account went to an ancestor that is still alive in the session. */
function reachedLiveAncestor(ended: ProcProcess, before: ReadonlyMap<number, ProcProcess>, survived: (pid: number) => boolean): boolean {
  const visited = new Set<number>([ended.pid]);
  let parent = ended.ppid;
  while (!visited.has(parent)) {
    if (survived(parent)) return true;
    const p = before.get(parent);
    // Not a process of the session we knew: init, a subreaper, or a pid already reused.
    if (!p) return false;
    visited.add(parent);
    parent = p.ppid;
  }
  return false;
}
