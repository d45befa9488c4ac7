/**
 * The ServiceAccount admission plugin (plugin/pkg/admission/serviceaccount/admission.go), on pod
 * create only: defaults spec.serviceAccountName to `default`, refuses pods whose account does not
 * exist, copies the account's imagePullSecrets, and (unless automountServiceAccountToken is false
 * on the pod, else on the account) mounts the projected `kube-api-access-xxxxx` volume with a
 * bound token, the cluster CA and the namespace at /var/run/secrets/kubernetes.io/serviceaccount
 * in every init container and container that has nothing mounted there yet.
 */
import type { Container, Pod, PodSpec, ServiceAccount, Volume, VolumeMount, VolumeProjection } from 'kubernetes-types/core/v1.js';
import { StatusError, isStatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resource.js';
import { warnOnlyBoundTokenExpirationSeconds } from '../auth/service-account-token.js';
import type { Admission, Operation } from '../registry/services.js';

export const defaultServiceAccountName = 'default';
export const serviceAccountTokenMountPath = '/var/run/secrets/kubernetes.io/serviceaccount';
export const serviceAccountVolumePrefix = 'kube-api-access-';
const mirrorPodAnnotation = 'kubernetes.io/config.mirror';

/** The projected volume the plugin adds: token (3607 s), kube-root-ca.crt's ca.crt, and the namespace. */
export function tokenVolumeSource(): NonNullable<Volume['projected']> {
  const sources: VolumeProjection[] = [
    { serviceAccountToken: { path: 'token', expirationSeconds: warnOnlyBoundTokenExpirationSeconds } },
    { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
  ];
  // defaultMode is written out (0644) rather than left to defaulting, as upstream does.
  return { defaultMode: 0o644, sources };
}

/** The pod's automountServiceAccountToken wins, then the account's; the default is to mount. */
export function shouldAutomount(sa: ServiceAccount, spec: PodSpec): boolean {
  if (spec.automountServiceAccountToken !== undefined && spec.automountServiceAccountToken !== null) return spec.automountServiceAccountToken;
  if (sa.automountServiceAccountToken !== undefined && sa.automountServiceAccountToken !== null) return sa.automountServiceAccountToken;
  return true;
}

/**
 * Adds the token volume and its read-only mount to `spec` (in place): an existing
 * `kube-api-access-*` volume is reused, and containers that already mount something at the token
 * path are left alone; the volume is added only if some container needed the mount.
 */
export function mountServiceAccountToken(spec: PodSpec, nameSuffix: () => string): void {
  const existing = (spec.volumes ?? []).find((v) => v.name.startsWith(serviceAccountVolumePrefix));
  const volumeName = existing?.name ?? `${serviceAccountVolumePrefix}${nameSuffix()}`;
  let needed = false;
  const addMount = (containers: Container[] | undefined) => {
    for (const c of containers ?? []) {
      if ((c.volumeMounts ?? []).some((m) => m.mountPath === serviceAccountTokenMountPath)) continue;
      const mount: VolumeMount = { name: volumeName, readOnly: true, mountPath: serviceAccountTokenMountPath };
      c.volumeMounts = [...(c.volumeMounts ?? []), mount];
      needed = true;
    }
  };
  addMount(spec.initContainers);
  addMount(spec.containers);
  if (!existing && needed) spec.volumes = [...(spec.volumes ?? []), { name: volumeName, projected: tokenVolumeSource() }];
}

/** Why a mirror pod is refused, if it is (they may reference no accounts, secrets or token projections). */
export function mirrorPodProblem(pod: Pod): string | undefined {
  const spec = pod.spec ?? ({ containers: [] } as PodSpec);
  if (spec.serviceAccountName) return 'a mirror pod may not reference service accounts';
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...((spec.ephemeralContainers ?? []) as Container[])];
  const secrets =
    (spec.imagePullSecrets ?? []).length > 0 ||
    (spec.volumes ?? []).some((v) => v.secret || v.projected?.sources?.some((s) => s.secret) || v.cephfs?.secretRef || v.flexVolume?.secretRef || v.rbd?.secretRef || v.iscsi?.secretRef || v.scaleIO?.secretRef || v.storageos?.secretRef || v.csi?.nodePublishSecretRef || v.azureFile) ||
    containers.some((c) => (c.env ?? []).some((e) => e.valueFrom?.secretKeyRef) || (c.envFrom ?? []).some((e) => e.secretRef));
  if (secrets) return 'a mirror pod may not reference secrets';
  if ((spec.volumes ?? []).some((v) => v.projected?.sources?.some((s) => s.serviceAccountToken))) return 'a mirror pod may not use ServiceAccountToken volume projections';
  return undefined;
}

export interface ServiceAccountAdmissionOptions {
  /** Reads a ServiceAccount live; undefined when it does not exist. */
  getServiceAccount(namespace: string, name: string): Promise<ServiceAccount | undefined>;
  /** The 5-character suffix of the volume name (generateName's alphabet). */
  nameSuffix(): string;
  sleep?(ms: number): Promise<void>;
  random?(): number;
  /** Upstream's MountServiceAccountToken (default true). */
  mountToken?: boolean;
}

export class ServiceAccountAdmission implements Admission {
  constructor(private readonly o: ServiceAccountAdmissionOptions) {}

  async admit(op: Operation, def: ResourceDef, obj: ApiObject, _old: ApiObject | undefined, opts: { dryRun: boolean; subresource?: string }): Promise<void> {
    if (op !== 'CREATE' || def.group || def.kind !== 'Pod' || opts.subresource) return;
    const pod = obj as unknown as Pod;
    const ns = pod.metadata?.namespace ?? '';
    const forbidden = (message: string) =>
      new StatusError(403, 'Forbidden', `pods "${pod.metadata?.name ?? ''}" is forbidden: ${message}`, { name: pod.metadata?.name ?? '', kind: 'pods' });
    // The agent must be able to run a mirror pod exactly as its manifest says: it is checked, never changed.
    if (pod.metadata?.annotations?.[mirrorPodAnnotation] !== undefined) {
      const problem = mirrorPodProblem(pod);
      if (problem) throw forbidden(problem);
      return;
    }
    const spec = (pod.spec ??= { containers: [] });
    if (!spec.serviceAccountName) spec.serviceAccountName = defaultServiceAccountName;
    // The deprecated v1 alias follows, as conversion to v1 keeps it (later updates compare it).
    spec.serviceAccount = spec.serviceAccountName;
    const name = spec.serviceAccountName;
    let sa: ServiceAccount | undefined;
    try {
      sa = await this.lookup(ns, name);
    } catch (e) {
      throw forbidden(`error looking up service account ${ns}/${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!sa) throw forbidden(`error looking up service account ${ns}/${name}: serviceaccount "${name}" not found`);
    if ((this.o.mountToken ?? true) && shouldAutomount(sa, spec)) mountServiceAccountToken(spec, this.o.nameSuffix);
    if (!spec.imagePullSecrets?.length && sa.imagePullSecrets?.length) spec.imagePullSecrets = sa.imagePullSecrets.map((s) => ({ name: s.name }));
  }

  /**
   * The account, retried for `default` (up to 10 reads, 100–200 ms apart): the serviceaccount
   * controller creates it moments after its namespace, and a pod may come first.
   */
  private async lookup(ns: string, name: string): Promise<ServiceAccount | undefined> {
    const attempts = name === defaultServiceAccountName ? 10 : 1;
    const interval = 100 + Math.floor((this.o.random ?? Math.random)() * 100);
    const sleep = this.o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await sleep(interval);
      try {
        const sa = await this.o.getServiceAccount(ns, name);
        if (sa) return sa;
      } catch (e) {
        if (isStatusError(e) && e.code === 404) continue;
        throw e;
      }
    }
    return undefined;
  }
}
