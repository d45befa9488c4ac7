/**
 * The HorizontalPodAutoscaler controller (`pkg/controller/podautoscaler/horizontal.go` v1.32):
 * every sync period (15 s) each HPA is reconciled once: read the target's `/scale`, compute the
 * desired replicas from pod resource metrics, stabilize and rate-limit that proposal, write
 * `/scale` if it changed, then the HPA's status and conditions.
 */
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus, MetricValueStatus } from 'kubernetes-types/autoscaling/v2.js';
import type { Scale } from 'kubernetes-types/autoscaling/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { parseLabelSelector } from '../../api/labels.js';
import type { ApiObject } from '../../api/object.js';
import { parseQuantity } from '../../api/quantity.js';
import type { ApiClient } from '../../client/api-client.js';
import { namespaceIndex } from '../../client/cache.js';
import type { Clock } from '../../client/clock.js';
import type { Informer } from '../../client/informer.js';
import type { ResourceRef } from '../../client/resource-path.js';
import type { Logger } from '../../util/logger.js';
import type { ControllerContext, RunnableController } from '../context.js';
import { Controller, type ReconcileResult } from '../controller.js';
import type { EventRecorder } from '../events.js';
import { milliQuantity, setCondition, setStatus } from './hpa-status.js';
import { MetricsApiSource, type MetricsSource, type PodMetricsSample } from './metrics-source.js';
import { type ReplicaProposal, type ResourceName, rawResourceReplicas, resourceReplicas } from './replica-calculator.js';
import { ScaleTargetResolver } from './scale-target.js';
import { ScalingHistory } from './scaling-behavior.js';
import { builtinRefs } from '../../client/builtin-refs.js';

type HpaObj = HorizontalPodAutoscaler & ApiObject;
type PodObj = Pod & ApiObject;
type ScaleObj = Scale & ApiObject;

export const hpaResource: ResourceRef = builtinRefs.horizontalpodautoscalers;
export const podsResource: ResourceRef = builtinRefs.pods;

/** --horizontal-pod-autoscaler-sync-period. */
export const defaultSyncPeriodMs = 15_000;

export interface HorizontalControllerOptions {
  client: ApiClient;
  hpas: Informer<HpaObj>;
  pods: Informer<PodObj>;
  metrics: MetricsSource;
  recorder: EventRecorder;
  clock?: Clock;
  logger?: Logger;
  syncPeriodMs?: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization, for HPAs without `behavior`. */
  downscaleStabilizationMs?: number;
  /** --concurrent-horizontal-pod-autoscaler-syncs (default 5). */
  workers?: number;
}

/** One metric's outcome: a proposal and its status, or the ScalingActive=False condition that explains the failure. */
type MetricOutcome = { ok: true; replicas: number; name: string; status: MetricStatus; timestamp: number } | { ok: false; error: Error; reason: string };

export class HorizontalController implements RunnableController {
  readonly controller: Controller;
  private readonly history: ScalingHistory;
  private readonly targets: ScaleTargetResolver;
  private readonly now: () => number;
  private readonly syncPeriodMs: number;

  constructor(private readonly opts: HorizontalControllerOptions) {
    this.now = opts.clock ? () => opts.clock!.now() : Date.now;
    this.syncPeriodMs = opts.syncPeriodMs ?? defaultSyncPeriodMs;
    this.history = new ScalingHistory(opts.downscaleStabilizationMs);
    this.targets = new ScaleTargetResolver(opts.client);
    this.controller = new Controller({
      name: 'horizontalpodautoscaling',
      informers: [opts.hpas, opts.pods],
      workers: opts.workers ?? 5,
      clock: opts.clock,
      reconcile: (key, signal) => this.reconcile(key, signal),
      logger: opts.logger,
    });
    // Each HPA is looked at once per sync period; its own status writes must not shorten that.
    opts.hpas.addEventHandler({
      onAdd: (h) => this.controller.enqueue(h),
      onUpdate: (old, cur) => (old.metadata.generation !== cur.metadata.generation ? this.controller.enqueue(cur) : this.controller.enqueueAfter(cur, this.syncPeriodMs)),
      onDelete: (h) => this.controller.enqueue(h),
    });
  }

  start(signal: AbortSignal): Promise<void> {
    return this.controller.start(signal);
  }

  private async reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult | void> {
    const cached = this.opts.hpas.get(key);
    if (!cached) {
      this.history.forget(key);
      return;
    }
    try {
      await this.reconcileAutoscaler(structuredClone(cached), key, signal);
    } catch (e) {
      if (signal.aborted) return;
      // Upstream requeues at the fixed sync interval whether or not the sync failed.
      this.opts.logger?.warn('failed to reconcile HPA', { key, error: (e as Error).message });
    }
    return { requeueAfterMs: this.syncPeriodMs };
  }

  /** upstream `reconcileAutoscaler`. */
  private async reconcileAutoscaler(hpa: HpaObj, key: string, signal: AbortSignal): Promise<void> {
    const { client, recorder } = this.opts;
    const now = this.now();
    const original = JSON.stringify(hpa.status ?? {});
    const ns = hpa.metadata.namespace ?? '';
    const ref = hpa.spec?.scaleTargetRef;
    const reference = `${ref?.kind}/${ns}/${ref?.name}`;

    let scale: ScaleObj;
    let target: ResourceRef;
    try {
      target = await this.targets.resolve(ref?.apiVersion, ref?.kind ?? '', signal);
      scale = await client.get<ScaleObj>(target, ref?.name ?? '', { namespace: ns, subresource: 'scale', signal });
    } catch (e) {
      if (signal.aborted) throw e;
      setCondition(hpa, 'AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${(e as Error).message}`, now);
      recorder.event(hpa, 'Warning', 'FailedGetScale', (e as Error).message);
      await this.updateStatusIfNeeded(hpa, original, signal);
      throw new Error(`failed to query scale subresource for ${reference}: ${(e as Error).message}`);
    }
    setCondition(hpa, 'AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale", now);
    const currentReplicas = scale.spec?.replicas ?? 0;
    this.history.recordInitial(key, currentReplicas, now);

    const minReplicas = hpa.spec?.minReplicas ?? 1;
    const maxReplicas = hpa.spec?.maxReplicas ?? 0;
    let desiredReplicas = 0;
    let rescaleReason = '';
    let metricStatuses: MetricStatus[] | undefined;
    let rescale = true;

    if (currentReplicas === 0 && minReplicas !== 0) {
      // Autoscaling is disabled for this resource.
      rescale = false;
      setCondition(hpa, 'ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero', now);
    } else if (currentReplicas > maxReplicas) {
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      desiredReplicas = maxReplicas;
    } else if (currentReplicas < minReplicas) {
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      desiredReplicas = minReplicas;
    } else {
      const computed = await this.computeReplicasForMetrics(hpa, scale, signal);
      metricStatuses = computed.statuses;
      if (computed.error && computed.replicas === -1) {
        setStatus(hpa, currentReplicas, hpa.status?.desiredReplicas ?? 0, metricStatuses, false, now);
        await this.updateStatusIfNeeded(hpa, original, signal);
        const msg = `failed to compute desired number of replicas based on listed metrics for ${reference}: ${computed.error.message}`;
        recorder.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', msg);
        throw new Error(msg);
      }
      let rescaleMetric = '';
      if (computed.replicas > desiredReplicas) {
        desiredReplicas = computed.replicas;
        rescaleMetric = computed.metric;
      }
      if (desiredReplicas > currentReplicas) rescaleReason = `${rescaleMetric} above target`;
      if (desiredReplicas < currentReplicas) rescaleReason = 'All metrics below target';
      const behavior = hpa.spec?.behavior;
      const normalized = behavior
        ? this.history.normalizeWithBehavior(key, behavior, currentReplicas, desiredReplicas, minReplicas, maxReplicas, now)
        : this.history.normalize(key, currentReplicas, desiredReplicas, minReplicas, maxReplicas, now);
      setCondition(hpa, 'AbleToScale', 'True', normalized.ableToScale.reason, normalized.ableToScale.message, now);
      setCondition(hpa, 'ScalingLimited', normalized.limited.status, normalized.limited.reason, normalized.limited.message, now);
      desiredReplicas = normalized.replicas;
      rescale = desiredReplicas !== currentReplicas;
    }

    if (rescale) {
      try {
        const next: ScaleObj = { ...scale, spec: { ...scale.spec, replicas: desiredReplicas } };
        await client.update<ScaleObj>(target, next, { subresource: 'scale', signal });
      } catch (e) {
        if (signal.aborted) throw e;
        recorder.event(hpa, 'Warning', 'FailedRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}; error: ${(e as Error).message}`);
        setCondition(hpa, 'AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${(e as Error).message}`, now);
        setStatus(hpa, currentReplicas, hpa.status?.desiredReplicas ?? 0, metricStatuses, false, now);
        await this.updateStatusIfNeeded(hpa, original, signal);
        throw new Error(`failed to rescale ${reference}: ${(e as Error).message}`);
      }
      setCondition(hpa, 'AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desiredReplicas}`, now);
      recorder.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}`);
      this.history.storeScaleEvent(key, hpa.spec?.behavior, currentReplicas, desiredReplicas, now);
      this.opts.logger?.info('successful rescale', { hpa: key, currentReplicas, desiredReplicas, reason: rescaleReason });
    } else {
      desiredReplicas = currentReplicas;
    }
    setStatus(hpa, currentReplicas, desiredReplicas, metricStatuses, rescale, now);
    await this.updateStatusIfNeeded(hpa, original, signal);
  }

  /** upstream `computeReplicasForMetrics`: the largest proposal over the metrics; -1 with an error when none can be trusted. */
  private async computeReplicasForMetrics(hpa: HpaObj, scale: ScaleObj, signal: AbortSignal): Promise<{ replicas: number; metric: string; statuses?: MetricStatus[]; error?: Error }> {
    const now = this.now();
    const { recorder } = this.opts;
    const selectorText = scale.status?.selector ?? '';
    if (!selectorText) {
      recorder.event(hpa, 'Warning', 'SelectorRequired', 'selector is required');
      setCondition(hpa, 'ScalingActive', 'False', 'InvalidSelector', "the HPA target's scale is missing a selector", now);
      return { replicas: -1, metric: '', error: new Error('selector is required') };
    }
    const parsed = parseLabelSelector(selectorText);
    if (!parsed.ok) {
      const msg = `couldn't convert selector into a corresponding internal selector object: ${parsed.error}`;
      recorder.event(hpa, 'Warning', 'InvalidSelector', msg);
      setCondition(hpa, 'ScalingActive', 'False', 'InvalidSelector', msg, now);
      return { replicas: -1, metric: '', error: new Error(msg) };
    }
    const ns = hpa.metadata.namespace ?? '';
    const pods = this.opts.pods.byIndex(namespaceIndex, ns).filter((p) => parsed.selector.matches(p.metadata.labels ?? {}));
    const specReplicas = scale.spec?.replicas ?? 0;
    const specs = hpa.spec?.metrics ?? [];
    const statuses: MetricStatus[] = [];
    let replicas = 0;
    let metric = '';
    let invalid = 0;
    let firstInvalid: { error: Error; reason: string } | undefined;
    let samples: Promise<PodMetricsSample[]> | undefined;
    for (const spec of specs) {
      const outcome = await this.computeReplicasForMetric(hpa, spec, specReplicas, pods, () => (samples ??= this.opts.metrics.podMetrics(ns, selectorText, signal)), now);
      if (!outcome.ok) {
        firstInvalid ??= outcome;
        invalid++;
        statuses.push({ type: '' });
        continue;
      }
      statuses.push(outcome.status);
      if (replicas === 0 || outcome.replicas > replicas) {
        replicas = outcome.replicas;
        metric = outcome.name;
      }
    }
    // All metrics invalid, or some invalid and the valid ones would scale down: don't act on partial data.
    if (firstInvalid && (invalid >= specs.length || replicas < specReplicas)) {
      setCondition(hpa, 'ScalingActive', 'False', firstInvalid.reason, `the HPA was unable to compute the replica count: ${firstInvalid.error.message}`, now);
      return { replicas: -1, metric: '', statuses, error: firstInvalid.error };
    }
    setCondition(hpa, 'ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${metric}`, now);
    return { replicas, metric, statuses, error: firstInvalid?.error };
  }

  /** upstream `computeReplicasForMetric` for Resource (and ContainerResource) metrics; other types are reported invalid. */
  private async computeReplicasForMetric(hpa: HpaObj, spec: MetricSpec, specReplicas: number, pods: PodObj[], samples: () => Promise<PodMetricsSample[]>, now: number): Promise<MetricOutcome> {
    const fail = (reason: string, error: Error): MetricOutcome => {
      this.opts.recorder.event(hpa, 'Warning', reason, error.message);
      return { ok: false, reason, error };
    };
    const source = spec.type === 'Resource' ? spec.resource : spec.type === 'ContainerResource' ? spec.containerResource : undefined;
    const reason = spec.type === 'ContainerResource' ? 'FailedGetContainerResourceMetric' : 'FailedGetResourceMetric';
    if (!source) return fail('InvalidMetricSourceType', new Error(`unknown metric source type "${spec.type}"`));
    const resource = source.name as ResourceName;
    const container = spec.type === 'ContainerResource' ? spec.containerResource?.container : undefined;
    if (resource !== 'cpu' && resource !== 'memory') return fail(reason, new Error(`failed to get ${source.name} usage: unsupported resource ${source.name}`));
    const target = source.target;
    const calcOpts = { now };
    const status = (current: MetricValueStatus): MetricStatus =>
      spec.type === 'ContainerResource' ? { type: 'ContainerResource', containerResource: { name: resource, container: container ?? '', current } } : { type: 'Resource', resource: { name: resource, current } };
    const label = spec.type === 'ContainerResource' ? `${resource} container resource` : `${resource} resource`;
    if (target.averageValue !== undefined) {
      let proposal: ReplicaProposal;
      try {
        const q = parseQuantity(target.averageValue);
        if (!q) throw new Error(`invalid target average value ${target.averageValue}`);
        proposal = rawResourceReplicas(specReplicas, Number(q.milliValue()), resource, pods, await this.metricsOf(samples, resource), calcOpts, container);
      } catch (e) {
        return fail(reason, new Error(`failed to get ${resource} usage: ${(e as Error).message}`));
      }
      return { ok: true, replicas: proposal.replicas, name: label, timestamp: proposal.timestamp, status: status({ averageValue: milliQuantity(proposal.rawAverage) }) };
    }
    if (target.averageUtilization !== undefined) {
      let proposal: ReplicaProposal;
      try {
        proposal = resourceReplicas(specReplicas, target.averageUtilization, resource, pods, await this.metricsOf(samples, resource), calcOpts, container);
      } catch (e) {
        return fail(reason, new Error(`failed to get ${resource} utilization: ${(e as Error).message}`));
      }
      return {
        ok: true,
        replicas: proposal.replicas,
        name: `${label} utilization (percentage of request)`,
        timestamp: proposal.timestamp,
        status: status({ averageUtilization: proposal.utilization, averageValue: milliQuantity(proposal.rawAverage) }),
      };
    }
    return fail(reason, new Error('invalid resource metric source: neither an average utilization target nor an average value (usage) target was set'));
  }

  private async metricsOf(samples: () => Promise<PodMetricsSample[]>, resource: ResourceName): Promise<PodMetricsSample[]> {
    try {
      return await samples();
    } catch (e) {
      throw new Error(`unable to get metrics for resource ${resource}: ${(e as Error).message}`);
    }
  }

  /** upstream `updateStatusIfNeeded`: writes `/status` only when it changed. */
  private async updateStatusIfNeeded(hpa: HpaObj, original: string, signal: AbortSignal): Promise<void> {
    if (JSON.stringify(hpa.status ?? {}) === original) return;
    try {
      await this.opts.client.updateStatus<HpaObj>(hpaResource, hpa, { signal });
    } catch (e) {
      if (signal.aborted) throw e;
      this.opts.recorder.event(hpa, 'Warning', 'FailedUpdateStatus', (e as Error).message);
      throw new Error(`failed to update status for ${hpa.metadata.name}: ${(e as Error).message}`);
    }
  }
}

/** The controller manager's factory for `horizontalpodautoscaling`. */
export function createHorizontalPodAutoscalerController(ctx: ControllerContext, opts: { metrics?: MetricsSource; syncPeriodMs?: number } = {}): RunnableController {
  return new HorizontalController({
    client: ctx.client,
    hpas: ctx.informers.informerFor<HpaObj>(hpaResource),
    pods: ctx.informers.informerFor<PodObj>(podsResource),
    metrics: opts.metrics ?? new MetricsApiSource(ctx.client),
    recorder: ctx.recorder,
    clock: ctx.clock,
    logger: ctx.logger,
    syncPeriodMs: opts.syncPeriodMs,
  });
}
