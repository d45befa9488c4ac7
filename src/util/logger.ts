/** Structured logging: one JSON line per event on stderr, filtered by level. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

export function createLogger(level: LogLevel = 'info', component = 'capstan', out: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const log = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (rank[lvl] < rank[level]) return;
    out(JSON.stringify({ ts: new Date().toISOString(), level: lvl, component, msg, ...fields }));
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (c) => createLogger(level, `${component}.${c}`, out),
  };
}

export function parseLogLevel(v: string | undefined): LogLevel {
  if (v === undefined) return 'info';
  if (v === 'debug' || v === 'info' || v === 'warn' || v === 'error') return v;
  const n = Number(v);
  if (Number.isInteger(n)) return n >= 4 ? 'debug' : n >= 1 ? 'info' : 'warn';
  throw new Error(`invalid log level ${JSON.stringify(v)}: use debug, info, warn, error or a klog verbosity number`);
}
