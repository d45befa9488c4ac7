/**
 * CronJob schedules (`pkg/controller/cronjob/utils.go`, robfig/cron's standard parser): five
 * fields or a descriptor (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly),
 * evaluated in `spec.timeZone` (IANA, via Intl) or the controller's local zone. Parsing and
 * stepping are delegated to `cron-parser`.
 */
import { CronExpressionParser } from 'cron-parser';

export interface Schedule {
  /** The first scheduled time strictly after `t` (ms since epoch, whole seconds). */
  next(t: number): number;
  /** The last scheduled time at or before `t`. */
  prevOrAt(t: number): number;
}

const descriptors: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** True when `tz` is an IANA zone name this runtime knows. */
export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Parses `schedule` in `timeZone` (undefined: local); throws an Error with the parser's reason. */
export function parseSchedule(schedule: string, timeZone?: string): Schedule {
  let text = schedule.trim();
  let tz = timeZone;
  const prefix = /^(?:CRON_)?TZ=(\S+)\s+/.exec(text);
  if (prefix) {
    tz = prefix[1];
    text = text.slice(prefix[0].length);
  }
  if (tz !== undefined && !isValidTimeZone(tz)) throw new Error(`provided bad location ${tz}: unknown time zone ${tz}`);
  if (text.startsWith('@')) {
    const d = descriptors[text];
    if (!d) throw new Error(`unrecognized descriptor: ${text}`);
    text = d;
  } else {
    const fields = text.split(/\s+/).filter(Boolean);
    if (fields.length !== 5) throw new Error(`expected exactly 5 fields, found ${fields.length}: ${text}`);
  }
  const expr = `0 ${text}`;
  const at = (t: number) => CronExpressionParser.parse(expr, { currentDate: new Date(t), ...(tz ? { tz } : {}), strict: false });
  at(0); // validate now
  return {
    next: (t) => at(t).next().getTime(),
    prevOrAt: (t) => at(Math.floor(t / 1000) * 1000 + 1000).prev().getTime(),
  };
}

export interface MostRecent {
  /** The most recent unmet schedule time at or before now (undefined: none since `earliest`). */
  time?: number;
  /** How many schedule times fell in (earliest, now]; at least 101 is reported as an estimate. */
  missed: number;
}

/** Upstream caps catch-up: past this many missed times the controller warns TooManyMissedTimes. */
export const tooManyMissed = 100;

/**
 * The most recent schedule time in (earliest, now] and how many were missed (upstream
 * mostRecentScheduleTime): only one run is ever caught up, so counting stops past 100.
 */
export function mostRecentScheduleTime(sched: Schedule, earliest: number, now: number): MostRecent {
  const t1 = sched.next(earliest);
  if (t1 > now) return { missed: 0 };
  let last = t1;
  let count = 1;
  for (let t = sched.next(t1); t <= now; t = sched.next(t)) {
    last = t;
    count++;
    if (count > tooManyMissed) {
      const interval = t - sched.prevOrAt(t - 1000);
      return { time: sched.prevOrAt(now), missed: interval > 0 ? Math.max(count, Math.floor((now - t1) / interval) + 1) : count };
    }
  }
  return { time: last, missed: count };
}

/** The Job name for a scheduled time: `<cronjob>-<minutes since the epoch>` (upstream getJobName). */
export function jobNameFor(cronJobName: string, scheduledMs: number): string {
  return `${cronJobName}-${Math.floor(scheduledMs / 60_000)}`;
}

/** RFC 3339 in `timeZone` (Go's time.RFC3339: seconds, `Z` or `±hh:mm`). */
export function formatRfc3339(ms: number, timeZone?: string): string {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const parts = Object.fromEntries(fmt.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const local = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  const offsetMin = Math.round((local - Math.floor(ms / 1000) * 1000) / 60_000);
  const pad = (v: number) => String(v).padStart(2, '0');
  const zone = offsetMin === 0 ? 'Z' : `${offsetMin > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offsetMin) / 60))}:${pad(Math.abs(offsetMin) % 60)}`;
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${zone}`;
}
