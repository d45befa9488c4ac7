/**
 * Picks the node agent's container runtime: `sandbox` (runc) when the agent runs as root, runc is
 * installed and a probe of what the runtime needs (an overlay mount, a cgroup) succeeds, else
 * `process` (host processes), as DESIGN.md's node agent section says.
 */
import type { ContainerRuntime, RuntimeEvents } from './runtime.js';
import type { Logger } from '../../util/logger.js';
import type { PodNetwork } from '../network/pod-network.js';
import { ProcessRuntime } from './process/process-runtime.js';
import { probeSandboxHost } from './sandbox/probe.js';
import { findRunc } from './sandbox/runc.js';
import { SandboxRuntime } from './sandbox/sandbox-runtime.js';

export type RuntimeChoice = { name: 'sandbox'; runc: string } | { name: 'process'; why: string };

/** The runtime to use, from what the host offers (pure); `probeFailure`: why the sandbox probe failed. */
export function chooseRuntime(host: { uid: number | undefined; runc: string | undefined; probeFailure?: string }): RuntimeChoice {
  if (host.uid !== 0) return { name: 'process', why: 'the agent does not run as root' };
  if (!host.runc) return { name: 'process', why: 'runc is not installed' };
  if (host.probeFailure) return { name: 'process', why: host.probeFailure };
  return { name: 'sandbox', runc: host.runc };
}

export type RuntimeWanted = 'auto' | 'process' | 'sandbox';

export interface DetectRuntimeOptions {
  /** `auto` picks with chooseRuntime; `sandbox` fails when the host cannot run it. */
  want?: RuntimeWanted;
  /** State directories of each runtime. */
  processRoot: string;
  sandboxRoot: string;
  logMaxBytes?: number;
  logMaxFiles?: number;
  events?: RuntimeEvents;
  logger?: Logger;
  /** Bridge mode's pod network, handed to the runtime (which owns the sandbox's network, as in the CRI). */
  network?: PodNetwork;
}

/** Builds the runtime asked for, or the one chooseRuntime picks for this host. */
export async function detectRuntime(opts: DetectRuntimeOptions): Promise<{ runtime: ContainerRuntime; choice: RuntimeChoice }> {
  const want = opts.want ?? 'auto';
  const uid = process.getuid?.();
  const runc = await findRunc();
  // Probed once at start: root and runc are not enough where overlays or cgroups are off limits.
  const probeFailure = want !== 'process' && uid === 0 && runc ? await probeSandboxHost(runc, opts.sandboxRoot) : undefined;
  if (probeFailure && want === 'auto') opts.logger?.warn('the sandbox runtime cannot work here; using the process runtime', { why: probeFailure });
  const found = chooseRuntime({ uid, runc, probeFailure });
  if (want === 'sandbox' && found.name !== 'sandbox') throw new Error(`the sandbox runtime cannot run here: ${found.why}`);
  const choice: RuntimeChoice = want === 'process' ? { name: 'process', why: 'asked for' } : found;
  const common = { events: opts.events, logger: opts.logger, logMaxBytes: opts.logMaxBytes, logMaxFiles: opts.logMaxFiles, network: opts.network };
  const runtime =
    choice.name === 'sandbox'
      ? new SandboxRuntime({ rootDir: opts.sandboxRoot, runc: choice.runc, ...common })
      : new ProcessRuntime({ rootDir: opts.processRoot, ...common });
  return { runtime, choice };
}
