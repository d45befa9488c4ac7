/**
 * Which fields each built-in resource can be selected on, and their values for an object.
 *
 * Two upstream tables meet here and are kept apart on purpose, because they differ:
 *  - the field-label conversion functions (pkg/apis/core/v1/conversion.go,
 *    pkg/apis/batch/v1/conversion.go, pkg/apis/certificates/v1/conversion.go, and
 *    runtime.DefaultMetaV1FieldSelectorConversion for every other kind) decide which labels a
 *    request may use, and word the 400 error for the others;
 *  - the registries' ToSelectableFields/GetAttrs (pkg/registry/<group>/<kind>/strategy.go and
 *    generic.ObjectMetaFieldsSet) give each object's values. A label that is accepted but has no
 *    value (pods' `status.podIPs`) reads as "", exactly as upstream.
 */
import { type FieldLabelConverter, type FieldParseResult, type FieldSelector } from './fields.js';

// Objects arrive as decoded JSON; fields are read defensively.
type Obj = Record<string, any>;

interface KindFields {
  /** Labels the request may use (beyond none: each kind lists metadata.* it accepts). */
  accepted: readonly string[];
  /** Legacy labels renamed on the way in (pods: `spec.host` → `spec.nodeName`). */
  renamed?: Readonly<Record<string, string>>;
  /** The error for a label not accepted. */
  reject: (label: string) => string;
  /** Kind-specific values; metadata.name (and metadata.namespace where accepted) are added. */
  values?: (obj: Obj) => Record<string, string>;
}

const notSupported = (label: string): string => `field label not supported: ${label}`;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
/** Go's strconv.Itoa / fmt.Sprint of an int32 field that may be absent (zero). */
const int = (v: unknown): string => (typeof v === 'number' ? String(Math.trunc(v)) : '0');
/** Go's strconv.FormatBool / fmt.Sprint of a bool that may be absent (false). */
const bool = (v: unknown): string => (v === true ? 'true' : 'false');

const byResource: Record<string, KindFields> = {
  // core/v1 Pod: conversion.go + pkg/registry/core/pod/strategy.go ToSelectableFields.
  '/pods': {
    accepted: [
      'metadata.name',
      'metadata.namespace',
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.podIPs',
      'status.nominatedNodeName',
    ],
    renamed: { 'spec.host': 'spec.nodeName' },
    reject: notSupported,
    values: (pod) => ({
      'spec.nodeName': str(pod.spec?.nodeName),
      'spec.restartPolicy': str(pod.spec?.restartPolicy),
      'spec.schedulerName': str(pod.spec?.schedulerName),
      'spec.serviceAccountName': str(pod.spec?.serviceAccountName),
      'spec.hostNetwork': bool(pod.spec?.hostNetwork),
      'status.phase': str(pod.status?.phase),
      // The primary IP: the first of status.podIPs.
      'status.podIP': str(pod.status?.podIPs?.[0]?.ip),
      'status.nominatedNodeName': str(pod.status?.nominatedNodeName),
    }),
  },
  '/nodes': {
    accepted: ['metadata.name', 'spec.unschedulable'],
    reject: notSupported,
    values: (node) => ({ 'spec.unschedulable': bool(node.spec?.unschedulable) }),
  },
  '/replicationcontrollers': {
    accepted: ['metadata.name', 'metadata.namespace', 'status.replicas'],
    reject: notSupported,
    values: (rc) => ({ 'status.replicas': int(rc.status?.replicas) }),
  },
  // pkg/registry/core/event/strategy.go ToSelectableFields.
  '/events': {
    accepted: [
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
      'metadata.namespace',
      'metadata.name',
    ],
    reject: notSupported,
    values: eventValues,
  },
  '/namespaces': {
    accepted: ['status.phase', 'metadata.name'],
    reject: notSupported,
    values: (ns) => ({ 'status.phase': str(ns.status?.phase) }),
  },
  '/secrets': {
    accepted: ['type', 'metadata.namespace', 'metadata.name'],
    reject: notSupported,
    values: (s) => ({ type: str(s.type) }),
  },
  '/services': {
    accepted: ['metadata.namespace', 'metadata.name', 'spec.clusterIP', 'spec.type'],
    reject: notSupported,
    values: (svc) => ({ 'spec.clusterIP': str(svc.spec?.clusterIP), 'spec.type': str(svc.spec?.type) }),
  },
  'batch/jobs': {
    accepted: ['metadata.name', 'metadata.namespace', 'status.successful'],
    reject: (label) => `field label ${JSON.stringify(label)} not supported for batchv1.Job`,
    values: (job) => ({ 'status.successful': int(job.status?.succeeded) }),
  },
  'certificates.k8s.io/certificatesigningrequests': {
    accepted: ['metadata.name', 'spec.signerName'],
    reject: notSupported,
    values: (csr) => ({ 'spec.signerName': str(csr.spec?.signerName) }),
  },
};

/** runtime.DefaultMetaV1FieldSelectorConversion: every kind without its own table. */
const defaultFields: KindFields = {
  accepted: ['metadata.name', 'metadata.namespace'],
  reject: (label) => `${JSON.stringify(label)} is not a known field selector: only "metadata.name", "metadata.namespace"`,
};

function eventValues(ev: Obj): Record<string, string> {
  // Stored events are core/v1; accept the events.k8s.io/v1 spelling too.
  const ref = ev.involvedObject ?? ev.regarding ?? {};
  const reportingController = str(ev.reportingComponent ?? ev.reportingController);
  const component = str((ev.source ?? ev.deprecatedSource)?.component);
  return {
    'involvedObject.kind': str(ref.kind),
    'involvedObject.namespace': str(ref.namespace),
    'involvedObject.name': str(ref.name),
    'involvedObject.uid': str(ref.uid),
    'involvedObject.apiVersion': str(ref.apiVersion),
    'involvedObject.resourceVersion': str(ref.resourceVersion),
    'involvedObject.fieldPath': str(ref.fieldPath),
    reason: str(ev.reason),
    reportingComponent: reportingController,
    source: component || reportingController,
    type: str(ev.type),
  };
}

const tableFor = (group: string, resource: string): KindFields => byResource[`${group}/${resource}`] ?? defaultFields;

/**
 * Scheme.ConvertFieldLabel for a resource: the canonical label, or the upstream 400 message
 * (`field label not supported: spec.foo`, or for kinds without their own table
 * `"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"`).
 */
export function convertFieldLabel(group: string, resource: string, label: string): { ok: true; label: string } | { ok: false; error: string } {
  const t = tableFor(group, resource);
  if (t.accepted.includes(label)) return { ok: true, label };
  const renamed = t.renamed && Object.hasOwn(t.renamed, label) ? t.renamed[label] : undefined;
  if (renamed) return { ok: true, label: renamed };
  return { ok: false, error: t.reject(label) };
}

/** Whether a `fieldSelector` may name `field` for this resource (legacy aliases included). */
export function isSelectableField(group: string, resource: string, field: string): boolean {
  return convertFieldLabel(group, resource, field).ok;
}

/** The converter to hand to FieldSelector.transform for this resource. */
export function fieldLabelConverter(group: string, resource: string): FieldLabelConverter {
  return (field, value) => {
    const r = convertFieldLabel(group, resource, field);
    return r.ok ? { ok: true, field: r.label, value } : r;
  };
}

/**
 * Checks and canonicalises a parsed field selector for a list/watch of this resource, as the
 * apiserver's list handler does before it reaches storage. On failure the error is the 400
 * BadRequest message.
 */
export function convertFieldSelector(group: string, resource: string, selector: FieldSelector): FieldParseResult {
  return selector.transform(fieldLabelConverter(group, resource));
}

/**
 * The field set of an object (upstream GetAttrs): metadata.name and metadata.namespace, plus the
 * kind's own fields. Values are strings as upstream formats them (booleans "true"/"false",
 * counts in decimal).
 */
export function selectableFields(group: string, resource: string, obj: unknown): Record<string, string> {
  const o = (obj ?? {}) as Obj;
  const meta = (o.metadata ?? {}) as Obj;
  const t = tableFor(group, resource);
  const out: Record<string, string> = t.values ? t.values(o) : {};
  out['metadata.name'] = str(meta.name);
  // Upstream omits it for cluster-scoped kinds; an absent field reads as "" either way.
  if (meta.namespace !== undefined || t.accepted.includes('metadata.namespace')) out['metadata.namespace'] = str(meta.namespace);
  return out;
}
