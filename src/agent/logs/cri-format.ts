/**
 * The CRI log format: a record is `<RFC3339Nano> <stdout|stderr> <tag> <content>`, where a tag
 * starting with `P` marks a partial record whose line continues in the next one (anything else,
 * `F`, a full one). Timestamps are parsed leniently, as the kubelet does, and turned into its
 * fixed-width output form.
 */
export type LogStream = 'stdout' | 'stderr';

const SPACE = 0x20;
const COLON = 0x3a;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:\d{2})$/;

export interface CriLine {
  /** The timestamp as written in the file. */
  time: string;
  stream: LogStream;
  partial: boolean;
  content: string;
}

export interface CriTime {
  /** The timestamp as written. */
  text: string;
  /** Unix ms, fraction below the millisecond truncated. */
  unixMs: number;
  /** The kubelet's output form: RFC3339 with exactly 9 fractional digits, `Z` for a zero offset. */
  fixed: string;
}

export interface CriRecord {
  time: CriTime;
  stream: LogStream;
  partial: boolean;
  content: Buffer;
}

/** The last whole second converted, kept per read: neighbouring records share their second. */
export interface SecondMemo {
  key: string;
  unixMs: number | undefined;
}

function secondToUnixMs(m: RegExpExecArray, key: string, memo: SecondMemo | undefined): number | undefined {
  if (memo && key === memo.key) return memo.unixMs;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  let unixMs: number | undefined;
  const zone = m[8]!;
  const offsetHours = zone === 'Z' ? 0 : Number(zone.slice(1, 3));
  const offsetMinutes = zone === 'Z' ? 0 : Number(zone.slice(4, 6));
  if (month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59 && second <= 59 && offsetHours <= 23 && offsetMinutes <= 59) {
    const date = new Date(0);
    date.setUTCFullYear(year, month - 1, day);
    if (date.getUTCDate() === day) {
      date.setUTCHours(hour, minute, second, 0);
      unixMs = date.getTime() - (zone[0] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
    }
  }
  if (memo) {
    memo.key = key;
    memo.unixMs = unixMs;
  }
  return unixMs;
}

/** Parses an RFC3339 timestamp with optional fraction (Go's RFC3339Nano, leniently as the kubelet does). */
export function parseCriTimestamp(text: string): CriTime | undefined {
  return parseTimestamp(text, undefined);
}

function parseTimestamp(text: string, memo: SecondMemo | undefined): CriTime | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const zone = m[8]!;
  const secondMs = secondToUnixMs(m, text.slice(0, 19) + zone, memo);
  if (secondMs === undefined) return undefined;
  // Digits beyond nanoseconds are dropped, as Go does.
  const nanos = (m[7] ?? '').slice(0, 9).padEnd(9, '0');
  const zeroOffset = zone === 'Z' || zone.slice(1) === '00:00';
  return { text, unixMs: secondMs + Number(nanos.slice(0, 3)), fixed: `${text.slice(0, 19)}.${nanos}${zeroOffset ? 'Z' : zone}` };
}

/** Parses one record without its newline; undefined when it is not a CRI log record. */
export function parseCriRecord(line: Buffer, memo?: SecondMemo): CriRecord | undefined {
  const afterTime = line.indexOf(SPACE);
  if (afterTime < 0) return undefined;
  const time = parseTimestamp(line.toString('latin1', 0, afterTime), memo);
  if (!time) return undefined;
  const afterStream = line.indexOf(SPACE, afterTime + 1);
  if (afterStream < 0) return undefined;
  const stream = line.toString('latin1', afterTime + 1, afterStream);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const afterTags = line.indexOf(SPACE, afterStream + 1);
  if (afterTags < 0) return undefined;
  // Tags are `:`-separated; only the first one (P or F) means anything today.
  const colon = line.indexOf(COLON, afterStream + 1);
  const firstTagEnd = colon >= 0 && colon < afterTags ? colon : afterTags;
  const partial = firstTagEnd - afterStream === 2 && line[afterStream + 1] === 0x50; // 'P'
  return { time, stream, partial, content: line.subarray(afterTags + 1) };
}

/** Parses one CRI log record (a trailing newline is ignored); undefined when it is malformed. */
export function parseCriLine(line: string): CriLine | undefined {
  const text = line.endsWith('\n') ? line.slice(0, -1) : line;
  const record = parseCriRecord(Buffer.from(text, 'utf8'));
  if (!record) return undefined;
  return { time: record.time.text, stream: record.stream, partial: record.partial, content: record.content.toString('utf8') };
}
