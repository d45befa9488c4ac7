/**
 * Events, stored as core/v1 Events: pkg/apis/core/validation/events.go.
 * `/Event` (core/v1 requests) gets the legacy rules only; `events.k8s.io/Event` requests, already
 * converted to the core/v1 storage shape, get the strict rules of the new API on top. Field paths
 * name core/v1 fields (`involvedObject`, `message`, `source`), as upstream reports them.
 */
import type { Event } from 'kubernetes-types/core/v1.js';
import { type FieldError, invalid, required } from '../../field-errors.js';
import { isDNS1123Subdomain, isQualifiedName } from '../../validation/names.js';
import { type ClusterStrategy, immutable, root } from './util.js';

const isSet = (v: unknown): boolean => v !== undefined && v !== null && v !== '' && v !== '0001-01-01T00:00:00Z';
const doesNotMatch = 'does not match event.namespace';

export function legacyValidateEvent(ev: Event): FieldError[] {
  const errs: FieldError[] = [];
  const ns = ev.metadata?.namespace ?? '';
  const involvedNs = ev.involvedObject?.namespace ?? '';
  const nsPath = root('involvedObject').child('namespace');
  if (!isSet(ev.eventTime)) {
    if (!involvedNs) {
      if (ns !== '' && ns !== 'default') errs.push(invalid(nsPath, involvedNs, doesNotMatch));
    } else if (ns !== involvedNs) errs.push(invalid(nsPath, involvedNs, doesNotMatch));
  } else {
    if (!involvedNs && ns !== 'default' && ns !== 'kube-system') errs.push(invalid(nsPath, involvedNs, doesNotMatch));
    const rc = ev.reportingComponent ?? '';
    if (!rc) errs.push(required(root('reportingController')));
    for (const m of isQualifiedName(rc)) errs.push(invalid(root('reportingController'), rc, m));
    const ri = ev.reportingInstance ?? '';
    if (!ri) errs.push(required(root('reportingInstance')));
    if (ri.length > 128) errs.push(invalid(root('reportingInstance'), '', 'can have at most 128 characters'));
    const action = ev.action ?? '';
    if (!action) errs.push(required(root('action')));
    if (action.length > 128) errs.push(invalid(root('action'), '', 'can have at most 128 characters'));
    const reason = ev.reason ?? '';
    if (!reason) errs.push(required(root('reason')));
    if (reason.length > 128) errs.push(invalid(root('reason'), '', 'can have at most 128 characters'));
    if ((ev.message ?? '').length > 1024) errs.push(invalid(root('message'), '', 'can have at most 1024 characters'));
  }
  for (const m of isDNS1123Subdomain(ns)) errs.push(invalid(root('namespace'), ns, m));
  return errs;
}

function validateSeries(ev: Event): FieldError[] {
  if (!ev.series) return [];
  const errs: FieldError[] = [];
  if ((ev.series.count ?? 0) < 2) errs.push(invalid('series.count', '', 'should be at least 2'));
  if (!isSet(ev.series.lastObservedTime)) errs.push(required('series.lastObservedTime'));
  return errs;
}

/** The extra create-time rules for events.k8s.io/v1 writes. */
export function strictValidateEvent(ev: Event): FieldError[] {
  const errs = validateSeries(ev);
  if (!isSet(ev.eventTime)) errs.push(required(root('eventTime')));
  if (ev.type !== 'Normal' && ev.type !== 'Warning') errs.push(invalid(root('type'), '', `has invalid value: ${ev.type ?? ''}`));
  if (isSet(ev.firstTimestamp)) errs.push(invalid(root('firstTimestamp'), '', 'needs to be unset'));
  if (isSet(ev.lastTimestamp)) errs.push(invalid(root('lastTimestamp'), '', 'needs to be unset'));
  if (ev.count) errs.push(invalid(root('count'), '', 'needs to be unset'));
  if (ev.source?.component || ev.source?.host) errs.push(invalid(root('source'), '', 'needs to be unset'));
  return errs;
}

export const coreEventStrategy: ClusterStrategy = {
  validate: (obj) => legacyValidateEvent(obj as unknown as Event),
};

export const eventsV1EventStrategy: ClusterStrategy = {
  validate(obj) {
    const ev = obj as unknown as Event;
    return [...legacyValidateEvent(ev), ...strictValidateEvent(ev)];
  },
  validateUpdate(obj, old) {
    const ev = obj as unknown as Event;
    const prev = old as unknown as Event;
    // validate() already ran the create-time rules; on update upstream re-checks only a changed series.
    const errs: FieldError[] = [];
    const pairs: [keyof Event, string][] = [
      ['involvedObject', 'involvedObject'], ['reason', 'reason'], ['message', 'message'], ['source', 'source'],
      ['firstTimestamp', 'firstTimestamp'], ['lastTimestamp', 'lastTimestamp'], ['count', 'count'], ['reason', 'reason'], ['type', 'type'],
      ['eventTime', 'eventTime'], ['action', 'action'], ['related', 'related'], ['reportingComponent', 'reportingController'],
      ['reportingInstance', 'reportingInstance'],
    ];
    for (const [k, p] of pairs) errs.push(...immutable(ev[k], prev[k], root(p)));
    return errs;
  },
};
