/**
 * Matching a failed pod against `spec.podFailurePolicy` (`pkg/controller/job/pod_failure_policy.go`):
 * rules are tried in order; the first whose onExitCodes or onPodConditions requirement matches
 * decides the action. Only pods in the Failed phase are matched.
 */
import type { PodFailurePolicy, PodFailurePolicyRule } from 'kubernetes-types/batch/v1.js';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';

export type PodFailurePolicyAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

export interface PodFailurePolicyMatch {
  action: PodFailurePolicyAction;
  ruleIndex: number;
  /** The upstream explanation, used as the condition message for FailJob. */
  message: string;
}

/** The matching rule, or undefined when none matches (the failure is then counted). */
export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: Pod): PodFailurePolicyMatch | undefined {
  if (!policy || pod.status?.phase !== 'Failed') return undefined;
  const podRef = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  for (const [ruleIndex, rule] of (policy.rules ?? []).entries()) {
    const action = rule.action as PodFailurePolicyAction;
    if (rule.onExitCodes) {
      const c = matchingContainer(rule, pod);
      if (c) {
        const code = c.state!.terminated!.exitCode;
        return { action, ruleIndex, message: `Container ${c.name} for pod ${podRef} failed with exit code ${code} matching ${action} rule at index ${ruleIndex}` };
      }
    } else if (rule.onPodConditions?.length) {
      for (const pattern of rule.onPodConditions) {
        const want = pattern.status ?? 'True';
        if (pod.status?.conditions?.some((c) => c.type === pattern.type && c.status === want)) {
          return { action, ruleIndex, message: `Pod ${podRef} has condition ${pattern.type} matching ${action} rule at index ${ruleIndex}` };
        }
      }
    }
  }
  return undefined;
}

/** The first terminated container (init containers first) with a non-zero exit code that satisfies the rule. */
function matchingContainer(rule: PodFailurePolicyRule, pod: Pod): ContainerStatus | undefined {
  const req = rule.onExitCodes!;
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const s of statuses) {
    const code = s.state?.terminated?.exitCode;
    if (code === undefined || code === 0) continue;
    if (req.containerName && req.containerName !== s.name) continue;
    const listed = req.values.includes(code);
    if ((req.operator === 'In' && listed) || (req.operator === 'NotIn' && !listed)) return s;
  }
  return undefined;
}
