/**
 * Strategies of the built-in kinds, keyed `<group>/<Kind>` ('' group for core: `/Pod`).
 * Kinds with no entry use `noopStrategy`.
 */
import type { ResourceStrategy } from '../strategy.js';
import { workloadStrategies } from './workloads/index.js';
import { clusterStrategies } from './cluster/index.js';
import { gatewayStrategies } from './gateway/index.js';

export const builtinStrategies: Record<string, ResourceStrategy> = { ...clusterStrategies, ...workloadStrategies, ...gatewayStrategies };
