/**
 * Picks the node agent's container runtime: `sandbox` (runc) when the agent runs as root and
 * runc is installed, else `process` (host processes), as DESIGN.md's node agent section says.
 */
import path from 'node:path';
import type { ContainerRuntime, RuntimeEvents } from './runtime.js';
import type { Logger } from '../../util/logger.js';
import { ProcessRuntime } from './process/process-runtime.js';
import { findRunc } from './sandbox/runc.js';
import { SandboxRuntime } from './sandbox/sandbox-runtime.js';

export type RuntimeChoice = { name: 'sandbox'; runc: string } | { name: 'process'; why: string };

/** The runtime to use, from what the host offers (pure). */
export function chooseRuntime(host: { uid: number | undefined; runc: string | undefined }): RuntimeChoice {
  if (host.uid !== 0) return { name: 'process', why: 'the agent does not run as root' };
  if (!host.runc) return { name: 'process', why: 'runc is not installed' };
  return { name: 'sandbox', runc: host.runc };
}

export interface DetectRuntimeOptions {
  /** The agent's runtime state directory; each runtime keeps its state in a subdirectory named after it. */
  rootDir: string;
  events?: RuntimeEvents;
  logger?: Logger;
}

/** Builds the runtime chooseRuntime picks for this host. */
export async function detectRuntime(opts: DetectRuntimeOptions): Promise<{ runtime: ContainerRuntime; choice: RuntimeChoice }> {
  const choice = chooseRuntime({ uid: process.getuid?.(), runc: await findRunc() });
  const common = { events: opts.events, logger: opts.logger };
  const runtime =
    choice.name === 'sandbox'
      ? new SandboxRuntime({ rootDir: path.join(opts.rootDir, 'sandbox'), runc: choice.runc, ...common })
      : new ProcessRuntime({ rootDir: path.join(opts.rootDir, 'process'), ...common });
  return { runtime, choice };
}
