/**
 * Settings of the node simulator (the idea of kwok, built in) and the parsers for their flag
 * syntax: `k=v,...` labels, `k=v:Effect,...` taints, and Go-style durations (`0s`, `500ms`, `1m30s`).
 */
import type { Taint } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../client/clock.js';
import type { Logger } from '../util/logger.js';

/** Annotations and labels through which tests and users steer the simulator. */
export const simLabels = {
  /** Marks every Node the simulator owns; its node informer selects on it. */
  simulated: 'capstan.io/simulated',
} as const;

export const simAnnotations = {
  /** On a pod with restartPolicy Never/OnFailure: its containers exit after this many seconds. */
  runSeconds: 'sim.capstan.io/run-seconds',
  /** The exit code those containers exit with (default 0); non-zero makes the pod Failed. */
  exitCode: 'sim.capstan.io/exit-code',
  /** How long containers take to stop after SIGTERM (default 0); past the grace period they are killed. */
  stopSeconds: 'sim.capstan.io/stop-seconds',
  /** On a Node: "true" makes its simulated kubelet go silent (no Lease, no status, no pod work). */
  stopHeartbeat: 'sim.capstan.io/stop-heartbeat',
} as const;

export interface SimOptions {
  /** How many Nodes to simulate. */
  nodes: number;
  /** Node names are `<prefix><index>`, index from `firstIndex`. */
  namePrefix: string;
  /**
   * The index of the first node (default 0). Simulators run side by side (say one process per
   * node, to stop one node's kubelet by stopping its process) take disjoint index ranges, and so
   * distinct names, node IPs and pod IP blocks.
   */
  firstIndex: number;
  cpu: string;
  memory: string;
  pods: number;
  /** `nvidia.com/gpu` capacity; 0 leaves the resource out. */
  gpus: number;
  ephemeralStorage: string;
  /** `kubernetes.io/arch` and nodeInfo.architecture. */
  arch: string;
  /** Extra labels on every Node. */
  labels: Record<string, string>;
  taints: Taint[];
  /** Nodes are spread round-robin over this many zones (`zone-a`, `zone-b`, ...); 0: no zone label. */
  zones: number;
  /** A started pod's containers become ready this long after they start. */
  readyAfterMs: number;
  /** The annotation whose value (seconds) lets a Never/OnFailure pod run to completion. */
  runSecondsAnnotation: string;
  /** Nodes that register but never heartbeat (as if their kubelet died at once). */
  failHeartbeat: string[];
  /** Writes in flight at once, all kinds together. */
  concurrency: number;
  /** Pod workers (each handles one pod at a time). */
  podWorkers: number;
  leaseDurationSeconds: number;
  /** The kubelet renews its Lease every leaseDuration/4 = 10 s (nodelease.RenewIntervalFraction). */
  leaseRenewIntervalMs: number;
  /** Unchanged node status is re-posted this often (kubelet nodeStatusReportFrequency, 5 min). */
  nodeStatusReportIntervalMs: number;
  clock?: Clock;
  logger?: Logger;
  /** Called once every Node is registered and the pod informer has synced. */
  onReady?: (summary: { nodes: string[]; registrationMs: number }) => void;
}

export const defaultSimOptions: Readonly<SimOptions> = Object.freeze({
  nodes: 1,
  namePrefix: 'sim-',
  firstIndex: 0,
  cpu: '32',
  memory: '256Gi',
  pods: 110,
  gpus: 0,
  ephemeralStorage: '100Gi',
  arch: 'amd64',
  labels: {},
  taints: [],
  zones: 3,
  readyAfterMs: 0,
  runSecondsAnnotation: simAnnotations.runSeconds,
  failHeartbeat: [],
  concurrency: 16,
  podWorkers: 16,
  leaseDurationSeconds: 40,
  leaseRenewIntervalMs: 10_000,
  nodeStatusReportIntervalMs: 300_000,
});

/** `a=b,c=d` → `{a: 'b', c: 'd'}`; an empty string is no labels. Throws on a malformed pair. */
export function parseLabelList(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`invalid label ${JSON.stringify(part)}: want key=value`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

const taintEffects = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

/** `k=v:NoSchedule,k2:NoExecute` → taints (kubectl taint's syntax). Throws on a malformed one. */
export function parseTaintList(s: string): Taint[] {
  const out: Taint[] = [];
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const colon = part.lastIndexOf(':');
    if (colon <= 0) throw new Error(`invalid taint ${JSON.stringify(part)}: want key[=value]:Effect`);
    const effect = part.slice(colon + 1);
    if (!taintEffects.has(effect)) throw new Error(`invalid taint effect ${JSON.stringify(effect)}: want NoSchedule, PreferNoSchedule or NoExecute`);
    const kv = part.slice(0, colon);
    const eq = kv.indexOf('=');
    const taint: Taint = eq < 0 ? { key: kv, effect } : { key: kv.slice(0, eq), value: kv.slice(eq + 1), effect };
    if (!taint.key) throw new Error(`invalid taint ${JSON.stringify(part)}: empty key`);
    out.push(taint);
  }
  return out;
}

const durationUnits: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go `time.ParseDuration` string in milliseconds (`0`, `250ms`, `1m30s`); throws when malformed or negative. */
export function parseDuration(s: string): number {
  const text = s.trim();
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new Error(`invalid duration ${JSON.stringify(s)}`);
    total += Number(m[1]) * durationUnits[m[2]];
    pos = re.lastIndex;
  }
  if (pos === 0) throw new Error(`invalid duration ${JSON.stringify(s)}`);
  return total;
}
