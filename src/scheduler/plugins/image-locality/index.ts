/**
 * ImageLocality (pkg/scheduler/framework/plugins/imagelocality/image_locality.go): favours nodes
 * that already hold the pod's images, weighted by image size and by how widely the image is
 * spread (to avoid piling pods onto the few nodes that have it).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { CycleState, type FrameworkHandle, maxNodeScore, type PluginFactory, type ScorePlugin, Status } from '../../framework/interface.js';
import type { NodeInfo } from '../../framework/node-info.js';
import { names } from '../names.js';

const mb = 1024 * 1024;
const minThreshold = 23 * mb;
const maxContainerThreshold = 1000 * mb;

/** `nginx` → `nginx:latest`; names with a tag or digest are kept. */
export function normalizedImageName(name: string): string {
  if (name.lastIndexOf(':') <= name.lastIndexOf('/')) return `${name}:latest`;
  return name;
}

export function calculatePriority(sumScores: number, numContainers: number): number {
  const maxThreshold = maxContainerThreshold * numContainers;
  const s = Math.min(Math.max(sumScores, minThreshold), maxThreshold);
  return Math.trunc((maxNodeScore * (s - minThreshold)) / (maxThreshold - minThreshold));
}

export class ImageLocality implements ScorePlugin {
  readonly name = names.ImageLocality;
  constructor(private readonly handle: FrameworkHandle) {}

  score(_state: CycleState, pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status } {
    if (nodeInfo.imageSizes.size === 0) return { score: 0, status: Status.success() };
    const lister = this.handle.snapshot();
    const totalNodes = lister.nodeInfos().list().length || 1;
    let sum = 0;
    const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
    for (const c of containers) {
      if (!c.image) continue;
      const image = normalizedImageName(c.image);
      const size = nodeInfo.imageSizes.get(image);
      if (size === undefined) continue;
      const numNodes = lister.imageNodeCount?.(image) ?? 1;
      sum += Math.trunc(size * (numNodes / totalNodes));
    }
    return { score: calculatePriority(sum, containers.length), status: Status.success() };
  }
}

export const factory: PluginFactory = (_args, handle) => new ImageLocality(handle);
