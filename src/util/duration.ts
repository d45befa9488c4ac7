/** Go-style durations as Kubernetes flags take them: `1h`, `90m`, `1h30m`, `40s`, `500ms`. */
const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * units[m[2]];
    consumed += m[0].length;
  }
  if (s === '0') return 0;
  if (!s || consumed !== s.length) throw new Error(`invalid duration ${JSON.stringify(s)}: use e.g. 1h, 30m, 1h30m, 40s`);
  return total;
}
