/**
 * The files of configMap, secret, downwardAPI and projected volumes, computed from API objects
 * without touching the disk (after pkg/volume/configmap, secret, downwardapi and projected,
 * v1.32). Each function returns the payload for the atomic writer or the error text the kubelet
 * reports after `MountVolume.SetUp failed for volume "<name>" : `.
 */
import type {
  ConfigMap,
  ConfigMapProjection,
  Container,
  DownwardAPIVolumeFile,
  KeyToPath,
  Pod,
  ProjectedVolumeSource,
  Secret,
  SecretProjection,
  ServiceAccountTokenProjection,
} from 'kubernetes-types/core/v1.js';
import { goQuote, makeEnvironment } from '../pod/env.js';
import type { FileProjection, Payload } from './atomic-writer.js';

/** The mode of projected files when the volume sets none (0644). */
export const defaultFileMode = 0o644;

export type PayloadResult = { payload: Payload } | { error: string };

/** What a projected volume needs besides the pod: objects by name and a token source. */
export interface ProjectionSources {
  configMap(namespace: string, name: string): ConfigMap | undefined;
  secret(namespace: string, name: string): Secret | undefined;
  /** The node's allocatable resources, the default limits for `resourceFieldRef`. */
  nodeAllocatable: Record<string, string>;
  /** Tokens for serviceAccountToken sources, fetched beforehand by the caller, keyed by `tokenKey`. */
  tokens?: Map<string, string>;
}

/** The key under which a serviceAccountToken source's token is passed in `ProjectionSources.tokens`. */
export function tokenKey(source: ServiceAccountTokenProjection): string {
  return `${source.audience ?? ''}\u0000${source.expirationSeconds ?? defaultTokenExpirationSeconds}`;
}

export const defaultTokenExpirationSeconds = 3600;

/** Go's utilerrors.NewAggregate message: one error alone, several in brackets. */
export function aggregate(errors: string[]): string {
  return errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
}

function file(data: string | Buffer, mode: number): FileProjection {
  return { data: typeof data === 'string' ? Buffer.from(data, 'utf8') : data, mode };
}

/** All of a ConfigMap's keys (data and binaryData) as bytes. */
function configMapBytes(cm: ConfigMap): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm.data ?? {})) out.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out.set(k, Buffer.from(v, 'base64'));
  return out;
}

function secretBytes(secret: Secret): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(secret.data ?? {})) out.set(k, Buffer.from(v, 'base64'));
  // stringData is write-only in the API, but objects built in tests may carry it.
  for (const [k, v] of Object.entries(secret.stringData ?? {})) if (!out.has(k)) out.set(k, Buffer.from(v, 'utf8'));
  return out;
}

/** Keys to files: every key when `items` is empty, else the listed ones (shared by configMap and secret). */
function keysToPayload(values: Map<string, Buffer>, items: KeyToPath[] | undefined, defaultMode: number, optional: boolean, missingKey: (key: string) => string): PayloadResult {
  const payload: Payload = new Map();
  if (!items || items.length === 0) {
    for (const [k, v] of values) payload.set(k, file(v, defaultMode));
    return { payload };
  }
  for (const item of items) {
    const v = values.get(item.key);
    if (v === undefined) {
      if (optional) continue;
      return { error: missingKey(item.key) };
    }
    payload.set(item.path, file(v, item.mode ?? defaultMode));
  }
  return { payload };
}

/** A configMap volume's files; a missing optional ConfigMap gives an empty volume. */
export function configMapPayload(cm: ConfigMap | undefined, name: string, items: KeyToPath[] | undefined, defaultMode: number | undefined, optional: boolean | undefined): PayloadResult {
  if (!cm) return optional ? { payload: new Map() } : { error: `configmap "${name}" not found` };
  return keysToPayload(configMapBytes(cm), items, defaultMode ?? defaultFileMode, !!optional, (k) => `configmap references non-existent config key: ${k}`);
}

/** A secret volume's files; a missing optional Secret gives an empty volume. */
export function secretPayload(secret: Secret | undefined, name: string, items: KeyToPath[] | undefined, defaultMode: number | undefined, optional: boolean | undefined): PayloadResult {
  if (!secret) return optional ? { payload: new Map() } : { error: `secret "${name}" not found` };
  return keysToPayload(secretBytes(secret), items, defaultMode ?? defaultFileMode, !!optional, (k) => `references non-existent secret key: ${k}`);
}

/** `key="value"` lines sorted by key (pkg/fieldpath FormatMap). */
function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(m![k])}`)
    .join('\n');
}

/**
 * A fieldRef value as a downwardAPI volume file sees it (pkg/fieldpath ExtractFieldPathAsString):
 * only metadata fields; labels and annotations whole or by subscript.
 */
export function volumeFieldValue(pod: Pod, fieldPath: string): { value: string } | { error: string } {
  const meta = pod.metadata ?? {};
  const m = /^(metadata\.(?:annotations|labels))\['(.*)'\]$/.exec(fieldPath);
  if (m) {
    const map = m[1] === 'metadata.annotations' ? meta.annotations : meta.labels;
    return { value: map?.[m[2]] ?? '' };
  }
  if (/\['.*'\]$/.test(fieldPath)) return { error: `fieldPath ${JSON.stringify(fieldPath)} does not support subscript` };
  switch (fieldPath) {
    case 'metadata.annotations':
      return { value: formatMap(meta.annotations) };
    case 'metadata.labels':
      return { value: formatMap(meta.labels) };
    case 'metadata.name':
      return { value: meta.name ?? '' };
    case 'metadata.namespace':
      return { value: meta.namespace ?? '' };
    case 'metadata.uid':
      return { value: meta.uid ?? '' };
  }
  return { error: `unsupported fieldPath: ${fieldPath}` };
}

/**
 * A resourceFieldRef value: the env resolver's resource extraction (node allocatable standing in
 * for unset limits) run on a one-variable stand-in container.
 */
function volumeResourceValue(pod: Pod, ref: NonNullable<DownwardAPIVolumeFile['resourceFieldRef']>, nodeAllocatable: Record<string, string>): { value: string } | { error: string } {
  const probe: Container = { name: '', env: [{ name: 'V', valueFrom: { resourceFieldRef: ref } }] };
  const r = makeEnvironment({ pod, container: probe, lookup: { configMap: () => undefined, secret: () => undefined }, services: [], nodeAllocatable, hostIPs: [], podIPs: [] });
  if ('error' in r) return { error: r.error.message };
  return { value: r.env.find((e) => e.name === 'V')?.value ?? '' };
}

/** A downwardAPI volume's files; every item's failure is collected, as upstream does. */
export function downwardAPIPayload(pod: Pod, items: DownwardAPIVolumeFile[] | undefined, defaultMode: number | undefined, nodeAllocatable: Record<string, string>): PayloadResult {
  const payload: Payload = new Map();
  const errors: string[] = [];
  for (const item of items ?? []) {
    const mode = item.mode ?? defaultMode ?? defaultFileMode;
    let r: { value: string } | { error: string } | undefined;
    if (item.fieldRef) r = volumeFieldValue(pod, item.fieldRef.fieldPath);
    else if (item.resourceFieldRef) r = volumeResourceValue(pod, item.resourceFieldRef, nodeAllocatable);
    if (!r) continue;
    if ('error' in r) errors.push(r.error);
    else payload.set(item.path, file(r.value, mode));
  }
  return errors.length ? { error: aggregate(errors) } : { payload };
}

/**
 * A projected volume's files: its sources merged in order (a later path wins). Missing optional
 * objects contribute nothing; other failures are aggregated.
 */
export function projectedPayload(pod: Pod, source: ProjectedVolumeSource, sources: ProjectionSources): PayloadResult {
  const ns = pod.metadata?.namespace ?? '';
  const defaultMode = source.defaultMode ?? defaultFileMode;
  const payload: Payload = new Map();
  const errors: string[] = [];
  const merge = (r: PayloadResult) => {
    if ('error' in r) errors.push(r.error);
    else for (const [k, v] of r.payload) payload.set(k, v);
  };
  for (const s of source.sources ?? []) {
    if (s.configMap) merge(projectedConfigMap(s.configMap, sources.configMap(ns, s.configMap.name ?? ''), defaultMode));
    else if (s.secret) merge(projectedSecret(s.secret, sources.secret(ns, s.secret.name ?? ''), defaultMode));
    else if (s.downwardAPI) merge(downwardAPIPayload(pod, s.downwardAPI.items, defaultMode, sources.nodeAllocatable));
    else if (s.serviceAccountToken) {
      const token = sources.tokens?.get(tokenKey(s.serviceAccountToken));
      if (token === undefined) errors.push(`failed to fetch token: no token source for service account ${JSON.stringify(pod.spec?.serviceAccountName ?? 'default')}`);
      else payload.set(s.serviceAccountToken.path, file(token, defaultMode));
    } else if (s.clusterTrustBundle) errors.push('clusterTrustBundle projections are not supported');
  }
  return errors.length ? { error: aggregate(errors) } : { payload };
}

function projectedConfigMap(p: ConfigMapProjection, cm: ConfigMap | undefined, defaultMode: number): PayloadResult {
  if (!cm && p.optional) return { payload: new Map() };
  return configMapPayload(cm, p.name ?? '', p.items, defaultMode, p.optional);
}

function projectedSecret(p: SecretProjection, secret: Secret | undefined, defaultMode: number): PayloadResult {
  if (!secret && p.optional) return { payload: new Map() };
  return secretPayload(secret, p.name ?? '', p.items, defaultMode, p.optional);
}
