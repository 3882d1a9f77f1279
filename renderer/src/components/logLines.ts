// The service's log lines (one JSON object each) as a person reads them in the browser UI:
// "20:08:06  warn   Docs → Backup  held  holds=[…]", newest last.

/** The fields every line has, shown in their own columns rather than as key=value. */
const OWN = new Set(['time', 'level', 'msg', 'pid', 'pair']);

export interface LogLineView {
  time: string;
  level: string;
  /** the pair's name where the line is about one, else '' */
  pair: string;
  text: string;
}

/**
 * One line, readable: local time, level, the pair by its name (`pairNames` maps ids to names),
 * the message and the rest as key=value. A line that is not JSON is shown as it is.
 */
export function viewLogLine(raw: string, pairNames: ReadonlyMap<string, string>): LogLineView {
  let o: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error();
    o = parsed as Record<string, unknown>;
  } catch {
    return { time: '', level: '', pair: '', text: raw };
  }
  const t = typeof o.time === 'string' || typeof o.time === 'number' ? new Date(o.time) : null;
  const pairId = typeof o.pair === 'string' ? o.pair : '';
  const rest = Object.entries(o)
    .filter(([k]) => !OWN.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return {
    time: t && !Number.isNaN(t.getTime()) ? t.toLocaleString() : '',
    level: typeof o.level === 'string' ? o.level : '',
    pair: pairId ? (pairNames.get(pairId) ?? pairId) : '',
    text: [typeof o.msg === 'string' ? o.msg : '', ...rest].filter(Boolean).join('  '),
  };
}
