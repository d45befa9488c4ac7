/**
 * Events (core/v1 and events.k8s.io/v1, one storage): LAST SEEN TYPE REASON OBJECT MESSAGE,
 * wide SUBOBJECT SOURCE FIRST SEEN COUNT NAME. Follows printEvent in
 * pkg/printers/internalversion/printers.go (v1.32), which prints the internal (core-shaped)
 * Event; an events.k8s.io/v1 object is read through the same field mapping its conversion uses.
 */
import type { Event as CoreEvent } from 'kubernetes-types/core/v1.js';
import type { Event as EventsV1Event } from 'kubernetes-types/events/v1.js';
import { column, nameColumn, wide } from './format.js';
import { parseTimestamp, translateTimestampSince } from './duration.js';
import type { Printer } from './printer.js';

/** The core/v1 view of an event of either API version. */
function asCoreEvent(obj: CoreEvent | EventsV1Event): CoreEvent {
  const o = obj as CoreEvent & EventsV1Event;
  const isEventsV1 = o.apiVersion === 'events.k8s.io/v1' || (o.involvedObject === undefined && (o.regarding !== undefined || o.note !== undefined));
  if (!isEventsV1) return o;
  return {
    ...o,
    involvedObject: o.regarding ?? {},
    message: o.note,
    source: o.deprecatedSource,
    firstTimestamp: o.deprecatedFirstTimestamp,
    lastTimestamp: o.deprecatedLastTimestamp,
    count: o.deprecatedCount,
    reportingComponent: o.reportingController,
  } as CoreEvent;
}

/** formatEventSource: component (or the reporting controller), then `, host` (or reportingInstance) when set. */
function formatEventSource(e: CoreEvent): string {
  const component = e.source?.component || e.reportingComponent || '';
  const instance = e.source?.host || e.reportingInstance || '';
  return instance ? `${component}, ${instance}` : component;
}

export const eventPrinter: Printer<CoreEvent | EventsV1Event> = {
  columns: [
    column('Last Seen', 'string', 'core.Event.lastTimestamp'),
    column('Type', 'string', 'core.Event.type'),
    column('Reason', 'string', 'core.Event.reason'),
    column('Object', 'string', 'core.Event.involvedObject'),
    column('Subobject', 'string', 'core.ObjectReference.fieldPath', { priority: wide }),
    column('Source', 'string', 'core.Event.source', { priority: wide }),
    column('Message', 'string', 'core.Event.message'),
    column('First Seen', 'string', 'core.Event.firstTimestamp', { priority: wide }),
    column('Count', 'string', 'core.Event.count', { priority: wide }),
    { ...nameColumn(), priority: wide },
  ],
  cells(obj, now) {
    const e = asCoreEvent(obj);
    const firstTimestamp =
      parseTimestamp(e.firstTimestamp) === undefined ? translateTimestampSince(e.eventTime, now) : translateTimestampSince(e.firstTimestamp, now);
    let lastTimestamp = parseTimestamp(e.lastTimestamp) === undefined ? firstTimestamp : translateTimestampSince(e.lastTimestamp, now);
    let count = e.count ?? 0;
    if (e.series) {
      lastTimestamp = translateTimestampSince(e.series.lastObservedTime, now);
      count = e.series.count ?? 0;
    } else if (count === 0) {
      // Singleton events carry no count in the events.k8s.io API.
      count = 1;
    }
    const kind = (e.involvedObject?.kind ?? '').toLowerCase();
    const target = e.involvedObject?.name ? `${kind}/${e.involvedObject.name}` : kind;
    return [
      lastTimestamp,
      e.type ?? '',
      e.reason ?? '',
      target,
      e.involvedObject?.fieldPath ?? '',
      formatEventSource(e),
      (e.message ?? '').trim(),
      firstTimestamp,
      count,
      e.metadata?.name ?? '',
    ];
  },
};
