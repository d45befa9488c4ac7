/**
 * Container lifecycle hooks, postStart and preStop (the kubelet's handlerRunner,
 * pkg/kubelet/lifecycle/handlers.go, and their use in kuberuntime_container.go startContainer and
 * killContainer, v1.32), with exec, httpGet and sleep handlers.
 *
 * - exec runs the command in the container, unexpanded; a non-zero exit fails the hook.
 * - httpGet sends `GET` to the handler's host (the pod's IP when unset) and port with
 *   `User-Agent: kube-lifecycle/1.32`; only a request that gets no response fails: upstream does
 *   not look at the status code. (Its HTTPS-to-HTTP retry is not reproduced.)
 * - sleep waits, and fails only when cut short.
 *
 * A failed postStart records `FailedPostStartHook` with the failure message, kills the container
 * and leaves it waiting with `PostStartHookError`; a failed preStop records `FailedPreStopHook`
 * with a fixed message (upstream keeps the output out of events so that secrets do not leak). The
 * preStop hook runs within the grace period; the container is then stopped with what is left of
 * it, never less than 2 s.
 *
 * The runner does no I/O of its own: exec, HTTP and sleep are injected.
 */
import type { Container, LifecycleHandler, Pod } from 'kubernetes-types/core/v1.js';
import { formatPodName } from './backoff.js';
import { goQuote } from './env.js';
import type { ExecResult, ProbeOutcome } from '../probes/handlers.js';
import { resolveContainerPort } from '../probes/handlers.js';
import { canonicalHeaderName, httpProbe, type HttpProbeRequest } from '../probes/http-probe.js';

export const postStartHookErrorReason = 'PostStartHookError';
export const failedPostStartHookEvent = 'FailedPostStartHook';
export const failedPreStopHookEvent = 'FailedPreStopHook';
export const preStopFailedMessage = 'PreStopHook failed';
/** The message of the `Killing` event when a failed postStart hook kills its container. */
export const postStartKillMessage = 'FailedPostStartHook';
export const lifecycleUserAgent = 'kube-lifecycle/1.32';
/** killContainer's floor: a container always gets this long to stop after its hook. */
export const minimumGracePeriodSeconds = 2;

export interface HookContext {
  pod: Pod;
  container: Container;
  /** Where an httpGet handler without a host connects. */
  podIP: string;
  /** Runs a command in the container (the CRI's ExecSync). May throw when it cannot run. */
  exec: (cmd: string[], timeoutMs: number) => Promise<ExecResult>;
  /** Sends the GET (default: the HTTP probe's client). */
  httpGet?: (req: HttpProbeRequest, timeoutMs: number) => Promise<ProbeOutcome>;
  /** Waits `ms`; resolves early when `signal` aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The longest an exec or HTTP handler may take. */
  timeoutMs: number;
  /** Cuts a sleep handler short (the container is going away). */
  signal?: AbortSignal;
}

/** Go's `%v` of a []string: `[sh -c exit 1]`. */
const goList = (items: readonly string[]): string => `[${items.join(' ')}]`;

/** Runs one handler; resolves with undefined on success, else with upstream's failure message. Never throws. */
export async function runLifecycleHandler(handler: LifecycleHandler, ctx: HookContext): Promise<string | undefined> {
  const where = `for Container ${goQuote(ctx.container.name)} in Pod ${goQuote(formatPodName({ name: ctx.pod.metadata?.name ?? '', namespace: ctx.pod.metadata?.namespace ?? '', uid: ctx.pod.metadata?.uid ?? '' }))}`;
  if (handler.exec) {
    const cmd = handler.exec.command ?? [];
    const { error, output } = await runExec(cmd, ctx);
    return error === undefined ? undefined : `Exec lifecycle hook (${goList(cmd)}) ${where} failed - error: ${error}, message: ${goQuote(output)}`;
  }
  if (handler.httpGet) {
    const error = await runHttpGet(handler, ctx);
    return error === undefined ? undefined : `HTTP lifecycle hook (${handler.httpGet.path ?? ''}) ${where} failed - error: ${error}`;
  }
  if (handler.sleep) {
    const seconds = handler.sleep.seconds;
    await ctx.sleep(seconds * 1000, ctx.signal);
    if (!ctx.signal?.aborted) return undefined;
    return `Sleep lifecycle hook (${seconds}) ${where} failed - error: container terminated before sleep hook finished`;
  }
  return `Cannot run handler: invalid handler: ${JSON.stringify(handler)}`;
}

async function runExec(cmd: string[], ctx: HookContext): Promise<{ error?: string; output: string }> {
  let r: ExecResult;
  try {
    r = await ctx.exec(cmd, ctx.timeoutMs);
  } catch (e) {
    return { error: (e as Error)?.message ?? String(e), output: '' };
  }
  const output = Buffer.concat([r.stdout, r.stderr]).toString('utf8');
  if (r.timedOut) return { error: `command ${goQuote(cmd.join(' '))} timed out`, output };
  if (r.exitCode !== 0) return { error: `command '${cmd.join(' ')}' exited with ${r.exitCode}: ${r.stderr.toString('utf8')}`, output };
  return { output };
}

/** The request an httpGet handler sends (NewRequestForHTTPGetAction with the `lifecycle` agent). */
export function lifecycleHttpRequest(handler: LifecycleHandler, container: Container, podIP: string): HttpProbeRequest {
  const h = handler.httpGet!;
  const headers = (h.httpHeaders ?? []).map(({ name, value }) => ({ name, value }));
  if (!headers.some((x) => canonicalHeaderName(x.name) === 'User-Agent')) headers.push({ name: 'User-Agent', value: lifecycleUserAgent });
  const scheme = (h.scheme ?? 'HTTP').toLowerCase() === 'https' ? 'https' : 'http';
  return { scheme, host: h.host || podIP, port: resolveContainerPort(h.port, container), path: h.path ?? '', headers };
}

async function runHttpGet(handler: LifecycleHandler, ctx: HookContext): Promise<string | undefined> {
  let req: HttpProbeRequest;
  try {
    req = lifecycleHttpRequest(handler, ctx.container, ctx.podIP);
  } catch (e) {
    return (e as Error).message;
  }
  const outcome = await (ctx.httpGet ?? httpProbe)(req, ctx.timeoutMs);
  return httpOutcomeError(outcome);
}

/**
 * Whether an HTTP exchange failed the hook: any response, whatever its status, is a success; the
 * probe client reports a status it dislikes as a failure worded `HTTP probe failed with
 * statuscode: N`, which is not one here.
 */
export function httpOutcomeError(outcome: ProbeOutcome): string | undefined {
  if (outcome.result === 'success') return undefined;
  if (outcome.result === 'failure' && outcome.output.startsWith('HTTP probe failed with statuscode:')) return undefined;
  return outcome.output;
}

/**
 * The grace period to stop a container with after its preStop hook ran for `elapsedMs`
 * (killContainer: whole seconds spent are subtracted, and the container still gets 2 s).
 */
export function gracePeriodAfterPreStop(graceSeconds: number, elapsedMs: number): number {
  return Math.max(graceSeconds - Math.floor(elapsedMs / 1000), minimumGracePeriodSeconds);
}

/** Whether killing this container runs its preStop hook: it has one, it runs, and there is time. */
export function shouldRunPreStop(container: Container | undefined, running: boolean, graceSeconds: number): boolean {
  return running && graceSeconds > 0 && container?.lifecycle?.preStop !== undefined;
}
