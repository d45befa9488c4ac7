/**
 * Scheme defaulting of pods and pod templates, following pkg/apis/core/v1/defaults.go
 * (SetDefaults_Pod, SetDefaults_PodSpec, SetDefaults_Container, SetDefaults_Probe, ...) and the
 * generated SetObjectDefaults_* that walk every embedded struct. Defaults are applied in place.
 *
 * Non-pointer structs that Go always serialises (container `resources: {}`, a template's
 * `metadata` with `creationTimestamp: null`, a resourceFieldRef's `divisor: "0"`) are filled in
 * too, so that what clients read back matches kube-apiserver byte for byte.
 */
import type {
  Container,
  EphemeralContainer,
  HTTPGetAction,
  LifecycleHandler,
  PersistentVolumeClaim,
  PersistentVolumeClaimSpec,
  Pod,
  PodSpec,
  PodTemplateSpec,
  Probe,
  ResourceRequirements,
  Volume,
} from 'kubernetes-types/core/v1.js';
import { parseQuantity, Quantity } from '../../quantity.js';
import { isObject } from './util.js';

const defaultFileMode = 0o644;

/** SetDefaults_Pod: pod-only defaults (not applied to templates), then the spec defaults. */
export function defaultPod(pod: Pod): void {
  const spec = (pod.spec ??= {} as PodSpec);
  // Requests default to limits for resources that have a limit (regular and init containers).
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    if (!isObject(c)) continue;
    const res = c.resources;
    if (res?.limits && isObject(res.limits)) {
      res.requests ??= {};
      for (const [k, v] of Object.entries(res.limits)) if (!(k in res.requests)) res.requests[k] = v;
    }
  }
  spec.enableServiceLinks ??= true;
  // With host networking, host ports mirror container ports (pods only since 1.28).
  if (spec.hostNetwork) {
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      for (const p of (isObject(c) ? c.ports : undefined) ?? []) if (isObject(p) && !p.hostPort) p.hostPort = p.containerPort;
    }
  }
  defaultPodSpec(spec);
}

/** SetDefaults_PodTemplateSpec equivalents: metadata as Go serialises it, and the pod spec. */
export function defaultPodTemplateSpec(template: PodTemplateSpec | undefined): void {
  if (!isObject(template)) return;
  const meta = (template.metadata ??= {}) as Record<string, unknown>;
  if (!('creationTimestamp' in meta)) meta.creationTimestamp = null;
  template.spec ??= {} as PodSpec;
  defaultPodSpec(template.spec);
}

/** SetDefaults_PodSpec plus the defaults of everything a PodSpec embeds. */
export function defaultPodSpec(spec: PodSpec): void {
  if (!isObject(spec)) return;
  if (!spec.dnsPolicy) spec.dnsPolicy = 'ClusterFirst';
  if (!spec.restartPolicy) spec.restartPolicy = 'Always';
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= 30;
  if (!spec.schedulerName) spec.schedulerName = 'default-scheduler';
  // The v1 `serviceAccount` field is a deprecated alias kept in sync by conversion.
  if (!spec.serviceAccountName && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const c of spec.ephemeralContainers ?? []) defaultContainer(c);
  for (const v of spec.volumes ?? []) defaultVolume(v);
  if (spec.overhead) canonicalizeResourceList(spec.overhead);
}

/** SetDefaults_Container and the structs a container embeds. */
function defaultContainer(c: Container | EphemeralContainer): void {
  if (!isObject(c)) return;
  if (!c.imagePullPolicy) c.imagePullPolicy = pullPolicyFor(c.image ?? '');
  if (!c.terminationMessagePath) c.terminationMessagePath = '/dev/termination-log';
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = 'File';
  c.resources ??= {};
  defaultResources(c.resources);
  for (const p of c.ports ?? []) if (isObject(p) && !p.protocol) p.protocol = 'TCP';
  for (const e of c.env ?? []) {
    if (!isObject(e) || !isObject(e.valueFrom)) continue;
    if (isObject(e.valueFrom.fieldRef) && !e.valueFrom.fieldRef.apiVersion) e.valueFrom.fieldRef.apiVersion = 'v1';
    if (isObject(e.valueFrom.resourceFieldRef)) e.valueFrom.resourceFieldRef.divisor ??= '0';
  }
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) defaultProbe(probe);
  if (isObject(c.lifecycle)) {
    defaultHandler(c.lifecycle.postStart);
    defaultHandler(c.lifecycle.preStop);
  }
}

function defaultResources(res: ResourceRequirements): void {
  if (isObject(res.limits)) canonicalizeResourceList(res.limits);
  if (isObject(res.requests)) canonicalizeResourceList(res.requests);
}

/**
 * SetDefaults_ResourceList: values are rounded up to milli precision and serialised in canonical
 * form (`0.5` → `500m`, `1000m` → `1`). Unparseable values are left for validation to report.
 */
export function canonicalizeResourceList(list: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(list)) {
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    let q = parseQuantity(v);
    if (!q) continue;
    const milli = q.milliValue();
    const rounded = Quantity.fromMilli(milli, q.format);
    if (rounded.cmp(q) !== 0) q = rounded;
    list[k] = q.toString();
  }
}

/**
 * The pull policy a container gets when it names none: Always for `:latest` or an untagged,
 * undigested image, else IfNotPresent (SetDefaults_Container with parsers.ParseImageName).
 */
export function pullPolicyFor(image: string): 'Always' | 'IfNotPresent' {
  const at = image.indexOf('@');
  const hasDigest = at >= 0;
  const name = hasDigest ? image.slice(0, at) : image;
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  const tag = colon >= 0 ? lastSegment.slice(colon + 1) : '';
  if (tag === 'latest') return 'Always';
  if (!tag && !hasDigest) return 'Always';
  return 'IfNotPresent';
}

/** SetDefaults_Probe and its handler. */
function defaultProbe(p: Probe | undefined): void {
  if (!isObject(p)) return;
  if (!p.timeoutSeconds) p.timeoutSeconds = 1;
  if (!p.periodSeconds) p.periodSeconds = 10;
  if (!p.successThreshold) p.successThreshold = 1;
  if (!p.failureThreshold) p.failureThreshold = 3;
  defaultHandler(p);
}

function defaultHandler(h: Probe | LifecycleHandler | undefined): void {
  if (!isObject(h)) return;
  if (isObject(h.httpGet)) defaultHTTPGet(h.httpGet);
  const grpc = (h as Probe).grpc;
  if (isObject(grpc) && grpc.service === undefined) grpc.service = '';
}

/** SetDefaults_HTTPGetAction. */
function defaultHTTPGet(a: HTTPGetAction): void {
  if (!a.path) a.path = '/';
  if (!a.scheme) a.scheme = 'HTTP';
}

const volumeSources = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi',
  'ephemeral', 'image',
] as const;

/** The volume source keys a volume sets (upstream's one-of). */
export const volumeSourceKeys: readonly string[] = volumeSources;

/** SetDefaults_Volume and the per-source defaults. */
function defaultVolume(v: Volume): void {
  if (!isObject(v)) return;
  const vol = v as unknown as Record<string, unknown>;
  if (!volumeSources.some((k) => vol[k] !== undefined && vol[k] !== null)) v.emptyDir = {};
  if (isObject(v.configMap)) v.configMap.defaultMode ??= defaultFileMode;
  if (isObject(v.secret)) v.secret.defaultMode ??= defaultFileMode;
  if (isObject(v.downwardAPI)) {
    v.downwardAPI.defaultMode ??= defaultFileMode;
    defaultDownwardAPIItems(v.downwardAPI.items);
  }
  if (isObject(v.projected)) {
    v.projected.defaultMode ??= defaultFileMode;
    for (const s of v.projected.sources ?? []) {
      if (!isObject(s)) continue;
      if (isObject(s.serviceAccountToken)) s.serviceAccountToken.expirationSeconds ??= 3600;
      if (isObject(s.downwardAPI)) defaultDownwardAPIItems(s.downwardAPI.items);
    }
  }
  if (isObject(v.hostPath)) v.hostPath.type ??= '';
  if (isObject(v.iscsi) && !v.iscsi.iscsiInterface) v.iscsi.iscsiInterface = 'default';
  if (isObject(v.rbd)) {
    if (!v.rbd.pool) v.rbd.pool = 'rbd';
    if (!v.rbd.user) v.rbd.user = 'admin';
    if (!v.rbd.keyring) v.rbd.keyring = '/etc/ceph/keyring';
  }
  if (isObject(v.azureDisk)) {
    v.azureDisk.cachingMode ??= 'ReadWrite';
    v.azureDisk.kind ??= 'Shared';
    v.azureDisk.fsType ??= 'ext4';
    v.azureDisk.readOnly ??= false;
  }
  if (isObject(v.scaleIO)) {
    if (!v.scaleIO.storageMode) v.scaleIO.storageMode = 'ThinProvisioned';
    if (!v.scaleIO.fsType) v.scaleIO.fsType = 'xfs';
  }
  if (isObject(v.ephemeral) && isObject(v.ephemeral.volumeClaimTemplate) && isObject(v.ephemeral.volumeClaimTemplate.spec)) {
    defaultPVCSpec(v.ephemeral.volumeClaimTemplate.spec);
  }
}

function defaultDownwardAPIItems(items: unknown[] | undefined): void {
  for (const it of items ?? []) {
    if (!isObject(it)) continue;
    if (isObject(it.fieldRef) && !it.fieldRef.apiVersion) it.fieldRef.apiVersion = 'v1';
    if (isObject(it.resourceFieldRef)) it.resourceFieldRef.divisor ??= '0';
  }
}

/** SetDefaults_PersistentVolumeClaimSpec. */
export function defaultPVCSpec(spec: PersistentVolumeClaimSpec): void {
  if (!spec.volumeMode) spec.volumeMode = 'Filesystem';
  if (isObject(spec.resources)) defaultResources(spec.resources as ResourceRequirements);
}

/** SetDefaults_PersistentVolumeClaim, as used for StatefulSet volumeClaimTemplates. */
export function defaultPVC(pvc: PersistentVolumeClaim): void {
  if (!isObject(pvc)) return;
  pvc.spec ??= {};
  defaultPVCSpec(pvc.spec);
  const claim = pvc as { status?: { phase?: string } };
  claim.status ??= {};
  if (!claim.status.phase) claim.status.phase = 'Pending';
}
