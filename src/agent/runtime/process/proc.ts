/**
 * Host process identity and signalling for the process runtime. A pid alone can be reused once
 * its process is gone, so a process is identified by its pid together with its start time (field
 * 22 of /proc/<pid>/stat); a process whose start time differs, or a zombie, is not ours any more.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot; null where /proc is unavailable. */
  startTime: string | null;
}

export interface ProcStat {
  state: string;
  startTime: string;
}

/** Parses /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).trim().split(' ');
  // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
  const state = fields[0];
  const startTime = fields[19];
  if (!state || !startTime || !/^\d+$/.test(startTime)) return undefined;
  return { state, startTime };
}

/** The identity of a live process, read at once (before the event loop can reap it). */
export function identify(pid: number): ProcessIdentity {
  try {
    const st = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
    return { pid, startTime: st?.startTime ?? null };
  } catch {
    return { pid, startTime: null };
  }
}

export type Liveness = 'alive' | 'gone';

/** Decides from a /proc stat read (undefined: no such process) whether `id` still runs. */
export function livenessFromStat(id: ProcessIdentity, st: ProcStat | undefined): Liveness {
  if (!st) return 'gone';
  if (st.state === 'Z' || st.state === 'X' || st.state === 'x') return 'gone';
  if (id.startTime !== null && st.startTime !== id.startTime) return 'gone';
  return 'alive';
}

export async function liveness(id: ProcessIdentity): Promise<Liveness> {
  let text: string;
  try {
    text = await readFile(`/proc/${id.pid}/stat`, 'latin1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') return 'gone';
    // No /proc: fall back to the pid alone.
    return signalExists(id.pid) ? 'alive' : 'gone';
  }
  return livenessFromStat(id, parseProcStat(text));
}

function signalExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the process group led by `id.pid` may be signalled: the leader is ours (alive or a
 * zombie not yet reaped), or it is gone and no other process has taken its pid (so any
 * process still in the group is one of ours: a pid in use as a group id is never reused).
 */
export function groupIsOurs(id: ProcessIdentity): boolean {
  let text: string;
  try {
    text = readFileSync(`/proc/${id.pid}/stat`, 'latin1');
  } catch {
    return true;
  }
  const st = parseProcStat(text);
  return st !== undefined && (id.startTime === null || st.startTime === id.startTime);
}

/** Signals the process group led by `id.pid`; false when nothing of it is left. */
export function signalGroup(id: ProcessIdentity, signal: NodeJS.Signals): boolean {
  if (!groupIsOurs(id)) return false;
  try {
    process.kill(-id.pid, signal);
    return true;
  } catch {
    return false;
  }
}
