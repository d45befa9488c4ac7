/**
 * What the agent says when its runtime cannot enforce CPU and memory limits (the `process`
 * runtime has no cgroups): a Warning on the Node when it starts, and one on each pod whose
 * container declares limits, instead of pretending the limits hold (pure).
 */
import type { Container } from 'kubernetes-types/core/v1.js';

export const limitsNotEnforcedReason = 'ResourceLimitsNotEnforced';

const fix = 'run the agent as root with runc installed to use the sandbox runtime, which enforces them with cgroups';

/** The Node's Warning when the runtime does not enforce limits. */
export function nodeLimitsNotEnforcedMessage(runtime: string): string {
  return `the ${runtime} runtime runs containers as host processes without cgroups: CPU and memory limits are not enforced; ${fix}`;
}

/** The pod's Warning for a container with limits the runtime cannot enforce, or undefined when it has none. */
export function containerLimitsNotEnforcedMessage(container: Container, runtime: string): string | undefined {
  const limited = ['cpu', 'memory'].filter((r) => container.resources?.limits?.[r] !== undefined);
  if (!limited.length) return undefined;
  return `container ${container.name} has ${limited.join(' and ')} limits, which the ${runtime} runtime does not enforce; ${fix}`;
}
