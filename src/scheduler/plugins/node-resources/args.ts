/**
 * NodeResourcesFitArgs and NodeResourcesBalancedAllocationArgs (kubescheduler.config.k8s.io/v1),
 * their defaults (pkg/scheduler/apis/config/v1/defaults.go) and validation
 * (pkg/scheduler/apis/config/validation/validation_pluginargs.go).
 */
import { type FieldError, FieldPath, invalid, notSupported, required } from '../../../api/field-errors.js';

export type ScoringStrategyType = 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio';
export const scoringStrategyTypes: readonly ScoringStrategyType[] = ['LeastAllocated', 'MostAllocated', 'RequestedToCapacityRatio'];

export interface ResourceSpec {
  name: string;
  weight: number;
}

export interface UtilizationShapePoint {
  utilization: number;
  score: number;
}

export interface ScoringStrategy {
  type: ScoringStrategyType;
  resources: ResourceSpec[];
  requestedToCapacityRatio?: { shape: UtilizationShapePoint[] };
}

export interface NodeResourcesFitArgs {
  ignoredResources: string[];
  ignoredResourceGroups: string[];
  scoringStrategy: ScoringStrategy;
}

export interface NodeResourcesBalancedAllocationArgs {
  resources: ResourceSpec[];
}

const defaultResources = (): ResourceSpec[] => [
  { name: 'cpu', weight: 1 },
  { name: 'memory', weight: 1 },
];

type Raw = Record<string, unknown> | undefined;

export function fitArgsWithDefaults(raw: Raw): NodeResourcesFitArgs {
  const s = (raw?.scoringStrategy ?? {}) as Partial<ScoringStrategy>;
  return {
    ignoredResources: (raw?.ignoredResources as string[] | undefined) ?? [],
    ignoredResourceGroups: (raw?.ignoredResourceGroups as string[] | undefined) ?? [],
    scoringStrategy: {
      type: s.type ?? 'LeastAllocated',
      resources: s.resources?.length ? s.resources.map((r) => ({ name: r.name, weight: r.weight ?? 1 })) : defaultResources(),
      requestedToCapacityRatio: s.requestedToCapacityRatio,
    },
  };
}

export function balancedArgsWithDefaults(raw: Raw): NodeResourcesBalancedAllocationArgs {
  const rs = raw?.resources as ResourceSpec[] | undefined;
  return { resources: rs?.length ? rs.map((r) => ({ name: r.name, weight: r.weight ?? 1 })) : defaultResources() };
}

function validateResources(resources: readonly ResourceSpec[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  resources.forEach((r, i) => {
    if (typeof r.weight !== 'number' || r.weight <= 0 || r.weight > 100) errs.push(invalid(path.index(i).child('weight'), r.weight, `resource weight of ${r.name} not in valid range [1, 100]`));
  });
  return errs;
}

/** `path` is the args' path, e.g. `profiles[0].pluginConfig[1].args`. */
export function validateFitArgs(raw: Raw, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const args = fitArgsWithDefaults(raw);
  const sp = path.child('scoringStrategy');
  if (!scoringStrategyTypes.includes(args.scoringStrategy.type)) {
    errs.push(notSupported(sp.child('type'), args.scoringStrategy.type, scoringStrategyTypes));
    return errs;
  }
  errs.push(...validateResources(args.scoringStrategy.resources, sp.child('resources')));
  if (args.scoringStrategy.type === 'RequestedToCapacityRatio') {
    const shape = args.scoringStrategy.requestedToCapacityRatio?.shape ?? [];
    const shapePath = sp.child('requestedToCapacityRatio').child('shape');
    if (shape.length === 0) errs.push(required(shapePath, 'at least one point must be specified'));
    shape.forEach((pt, i) => {
      if (typeof pt.utilization !== 'number' || pt.utilization < 0 || pt.utilization > 100) errs.push(invalid(shapePath.index(i).child('utilization'), pt.utilization, 'not in valid range [0, 100]'));
      else if (i > 0 && pt.utilization <= shape[i - 1]!.utilization) errs.push(invalid(shapePath.index(i).child('utilization'), pt.utilization, 'utilization values must be sorted in increasing order'));
      if (typeof pt.score !== 'number' || pt.score < 0 || pt.score > 10) errs.push(invalid(shapePath.index(i).child('score'), pt.score, 'not in valid range [0, 10]'));
    });
  }
  return errs;
}

export function validateBalancedAllocationArgs(raw: Raw, path: FieldPath): FieldError[] {
  return validateResources(balancedArgsWithDefaults(raw).resources, path.child('resources'));
}

