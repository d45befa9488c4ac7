/**
 * CPU accounting for a measured window (Linux /proc): the server's share, this benchmark
 * process's share, and everything else on the machine. Percentages are of one core, so a 2-core
 * machine tops out at 200%. "Other" shows how much unrelated load contaminated a measurement.
 */
import { readFileSync } from 'node:fs';

const tickMs = 10; // USER_HZ is 100 on Linux

/** CPU time (user + system) a process has used so far, in ms. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) * tickMs;
}

/** Busy CPU time of the whole machine so far (all cores, everything but idle and iowait), in ms. */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) * tickMs;
}

export interface CpuShare {
  serverPct: number;
  clientPct: number;
  otherPct: number;
}

/** Starts a window; call the returned function at its end. */
export function cpuWindow(serverPid: number): () => CpuShare {
  const t0 = process.hrtime.bigint();
  const s0 = processCpuMs(serverPid);
  const c0 = process.cpuUsage();
  const m0 = machineBusyMs();
  return () => {
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    const server = processCpuMs(serverPid) - s0;
    const cu = process.cpuUsage(c0);
    const client = (cu.user + cu.system) / 1000;
    const other = Math.max(0, machineBusyMs() - m0 - server - client);
    const pct = (ms: number) => (ms / wall) * 100;
    return { serverPct: pct(server), clientPct: pct(client), otherPct: pct(other) };
  };
}

export function fmtShare(s: CpuShare): string {
  return `${Math.round(s.serverPct)}% / ${Math.round(s.clientPct)}% / ${Math.round(s.otherPct)}%`;
}

/**
 * Share of the machine used by anything other than this process and its exited children (the
 * servers a benchmark started and stopped) during a window: how contaminated the window was.
 */
export function otherLoadWindow(): () => number {
  const t0 = process.hrtime.bigint();
  const own0 = ownAndChildrenCpuMs();
  const m0 = machineBusyMs();
  return () => {
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    const other = Math.max(0, machineBusyMs() - m0 - (ownAndChildrenCpuMs() - own0));
    return (other / wall) * 100;
  };
}

function ownAndChildrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime, cstime are fields 14–17.
  return (Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14])) * tickMs;
}
