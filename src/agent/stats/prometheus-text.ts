/**
 * The Prometheus text exposition format (version 0.0.4) as the kubelet's metrics endpoints write
 * it through client_golang: families sorted by name, `# HELP` carrying the Kubernetes stability
 * level, label pairs sorted by name, values in Go's shortest float form, optional millisecond
 * timestamps.
 */

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge';
export type Stability = 'STABLE' | 'BETA' | 'ALPHA' | 'INTERNAL';

export interface Sample {
  labels?: Record<string, string>;
  value: number;
  /** Milliseconds since the epoch. */
  timestampMs?: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  /** Written as a `[LEVEL] ` prefix of the help text, as component-base/metrics does. */
  stability?: Stability;
  samples: Sample[];
}

/** A float as Go's strconv.FormatFloat(v, 'g', -1, 64) writes it (e.g. `1.2926976e+07`). */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mantissa, expText] = v.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  // With the shortest precision Go switches to %e when the exponent is below -4 or at least 6.
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(v);
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function labelText(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (!keys.length) return '';
  return `{${keys.map((k) => `${k}="${escapeLabelValue(labels![k]!)}"`).join(',')}}`;
}

/** Renders families in name order; a family without samples is left out, as client_golang does. */
export function renderPrometheusText(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of [...families].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (!f.samples.length) continue;
    lines.push(`# HELP ${f.name} ${f.stability ? `[${f.stability}] ` : ''}${escapeHelp(f.help)}`);
    lines.push(`# TYPE ${f.name} ${f.type}`);
    const rows = f.samples.map((s) => ({ labels: labelText(s.labels), s }));
    rows.sort((a, b) => (a.labels < b.labels ? -1 : a.labels > b.labels ? 1 : 0));
    for (const { labels, s } of rows) lines.push(`${f.name}${labels} ${formatGoFloat(s.value)}${s.timestampMs !== undefined ? ` ${Math.round(s.timestampMs)}` : ''}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
