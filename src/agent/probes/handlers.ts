/**
 * Running one container probe (pkg/kubelet/prober/prober.go runProbe, v1.32) with the handlers of
 * pkg/probe: exec, httpGet, tcpSocket and grpc. Each run answers `success`, `failure` or `unknown`
 * (the kubelet's "errored": the probe could not be run, and its result is thrown away) with an
 * output worded like the kubelet's, so that events read the same.
 *
 * The exec handler runs through an injected `exec`, so this module starts no processes itself;
 * the network handlers open their own sockets and close them before answering.
 */
import type { Container, Probe } from 'kubernetes-types/core/v1.js';
import { expandCommandOnlyStatic, goQuote } from '../pod/env.js';
import { grpcProbe } from './grpc-probe.js';
import { httpProbe } from './http-probe.js';
import { tcpProbe } from './tcp-probe.js';
import type { ProbeKind } from './probe-state.js';

export interface ExecResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
}

export interface ProbeContext {
  podIP: string;
  container: Container;
  /** Runs a command in the container (the CRI's ExecSync). */
  exec: (cmd: string[], timeoutMs: number) => Promise<ExecResult>;
}

export interface ProbeOutcome {
  result: 'success' | 'failure' | 'unknown';
  output: string;
  /** A success the kubelet reports with a `ProbeWarning` event (an HTTP redirect it did not follow). */
  warning?: boolean;
}

/** Upstream maxReadLength for exec probe output. */
const MAX_EXEC_OUTPUT_BYTES = 10 * 1024;

/** The probe's timeout in seconds (API default 1). */
export function probeTimeoutSeconds(probe: Probe): number {
  return probe.timeoutSeconds && probe.timeoutSeconds > 0 ? probe.timeoutSeconds : 1;
}

/**
 * A probe port: a number, or the name of one of the container's ports, or a number written as a
 * string (pkg/probe ResolveContainerPort). Throws upstream's message when it cannot.
 */
export function resolveContainerPort(port: number | string, container: Container): number {
  let n: number;
  if (typeof port === 'number') n = port;
  else {
    const named = (container.ports ?? []).find((p) => p.name === port);
    if (named) n = named.containerPort;
    else if (/^[+-]?\d+$/.test(port)) n = Number(port);
    else throw new Error(`strconv.Atoi: parsing ${goQuote(port)}: invalid syntax`);
  }
  if (!(Number.isInteger(n) && n > 0 && n < 65536)) throw new Error(`invalid port number: ${n}`);
  return n;
}

/** Runs `probe` once against the container. Never throws. */
export async function runProbe(probe: Probe, ctx: ProbeContext): Promise<ProbeOutcome> {
  const timeoutSeconds = probeTimeoutSeconds(probe);
  const timeoutMs = timeoutSeconds * 1000;
  try {
    if (probe.exec) return await execProbe(expandCommandOnlyStatic(probe.exec.command ?? [], ctx.container.env), timeoutMs, ctx);
    if (probe.httpGet) {
      const h = probe.httpGet;
      const port = resolveContainerPort(h.port, ctx.container);
      const scheme = (h.scheme ?? 'HTTP').toLowerCase() === 'https' ? 'https' : 'http';
      return await httpProbe({ scheme, host: h.host || ctx.podIP, port, path: h.path ?? '', headers: h.httpHeaders ?? [] }, timeoutMs);
    }
    if (probe.tcpSocket) {
      const port = resolveContainerPort(probe.tcpSocket.port, ctx.container);
      return await tcpProbe(probe.tcpSocket.host || ctx.podIP, port, timeoutMs);
    }
    if (probe.grpc) return await grpcProbe(ctx.podIP, probe.grpc.port, probe.grpc.service ?? '', timeoutSeconds);
    return { result: 'unknown', output: `missing probe handler for ${ctx.container.name}` };
  } catch (e) {
    return { result: 'unknown', output: (e as Error)?.message ?? String(e) };
  }
}

/** pkg/probe/exec: exit 0 is success; the output is stdout then stderr, at most 10 KiB. */
async function execProbe(cmd: string[], timeoutMs: number, ctx: ProbeContext): Promise<ProbeOutcome> {
  const r = await ctx.exec(cmd, timeoutMs);
  if (r.timedOut) return { result: 'failure', output: `command ${goQuote(cmd.join(' '))} timed out` };
  const output = Buffer.concat([r.stdout, r.stderr]).subarray(0, MAX_EXEC_OUTPUT_BYTES).toString('utf8');
  return { result: r.exitCode === 0 ? 'success' : 'failure', output };
}

// Events the kubelet records about probes (reasons from pkg/kubelet/events).
export const PROBE_EVENT_REASON_UNHEALTHY = 'Unhealthy';
export const PROBE_EVENT_REASON_WARNING = 'ProbeWarning';

/** The message of the `Unhealthy` event for a failed probe: `Liveness probe failed: <output>`. */
export function probeEventMessage(kind: ProbeKind, output: string): string {
  return `${kind} probe failed: ${output}`;
}

/** The message of the `ProbeWarning` event for a success with a warning. */
export function probeWarningEventMessage(kind: ProbeKind, output: string): string {
  return `${kind} probe warning: ${output}`;
}

/** The message of the `Unhealthy` event for a probe that could not be run. */
export function probeErrorEventMessage(kind: ProbeKind, error: string): string {
  return `${kind} probe errored and resulted in unknown state: ${error}`;
}

/** The Warning event the kubelet records for an outcome, if any (none for a plain success). */
export function probeEvent(kind: ProbeKind, outcome: ProbeOutcome): { type: 'Warning'; reason: string; message: string } | undefined {
  if (outcome.result === 'failure') return { type: 'Warning', reason: PROBE_EVENT_REASON_UNHEALTHY, message: probeEventMessage(kind, outcome.output) };
  if (outcome.result === 'unknown') return { type: 'Warning', reason: PROBE_EVENT_REASON_UNHEALTHY, message: probeErrorEventMessage(kind, outcome.output) };
  if (outcome.warning) return { type: 'Warning', reason: PROBE_EVENT_REASON_WARNING, message: probeWarningEventMessage(kind, outcome.output) };
  return undefined;
}
