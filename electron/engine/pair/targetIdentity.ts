// Is the target still the folder this pair last synced? A pair is the realpaths of its two roots,
// so a target named through a symlink that now points elsewhere would silently be a new pair, and
// another disk mounted at the same path the same pair. Three facts tell them apart: the target
// path as the person gave it and what it led to (a record in Tandem's state folder), the marker
// in TARGET/.tandem naming every pair that syncs into that folder, and the target's device.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** What a target path, as given, led to when this pair last ran with it. */
export interface TargetRecord {
  source: string;
  /** absolute, symlinks not resolved */
  given: string;
  /** its realpath then */
  resolved: string;
  updated: number;
}

/**
 * TARGET/.tandem/pair.json: every pair that syncs into this folder (two sources may share a
 * target), so that one pair's run never makes the folder look foreign to the other.
 */
export interface Marker {
  pairs: Record<string, { source: string; created: number }>;
}

/** Reads a marker, in this format or the one-pair format before it; null when unreadable. */
export function parseMarker(text: string): Marker | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const m = raw as { pairs?: unknown; pair?: unknown; source?: unknown; created?: unknown };
  if (typeof m.pairs === 'object' && m.pairs !== null) return { pairs: { ...m.pairs } } as Marker;
  if (typeof m.pair === 'string')
    return { pairs: { [m.pair]: { source: String(m.source), created: Number(m.created) } } };
  return null;
}

/** The marker with this pair added (the others kept). */
export function markerWith(m: Marker | null, key: string, source: string, now: number): Marker {
  return { pairs: { ...m?.pairs, [key]: { source, created: now } } };
}

/** Where the record of (source, target as given) is kept. */
export function targetRecordFile(home: string, source: string, given: string): string {
  const h = crypto.createHash('sha256').update(`${source}\0${given}`).digest('hex').slice(0, 20);
  return path.join(home, 'targets', `${h}.json`);
}

export function readTargetRecord(file: string): TargetRecord | null {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as TargetRecord;
    return typeof r.resolved === 'string' && typeof r.given === 'string' ? r : null;
  } catch {
    return null;
  }
}

export function writeTargetRecord(file: string, r: TargetRecord): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(r, null, 2));
  fs.renameSync(tmp, file);
}

export interface TargetFacts {
  key: string;
  source: string;
  /** the target as given (absolute) and as it resolves now */
  given: string;
  target: string;
  /** whether this pair's index says it has synced, and on which device the target was then */
  synced: boolean;
  lastDev: string | undefined;
  record: TargetRecord | null;
  marker: Marker | null;
  /** the target's device now; null when the target does not exist */
  dev: string | null;
}

const CONFIRM = 'run again with --confirm-target';

/**
 * Pure: whether the target is not (provably) the folder this pair last used, and the sentence
 * that says so. `moved` is also true for a missing target of a pair that has synced before.
 */
export function judgeTarget(f: TargetFacts): { moved: boolean; problem: string | null } {
  if (f.record && f.record.resolved !== f.target) {
    const now = f.dev === null ? `${f.target}, which does not exist` : f.target;
    return {
      moved: true,
      problem: `the target ${f.given} now leads to ${now}, but this pair used it as ${f.record.resolved} before (was a link moved?); if ${f.target} is the right folder, ${CONFIRM}`,
    };
  }
  if (f.dev === null) {
    return f.synced
      ? {
          moved: true,
          problem: `the target ${f.given} is missing, but this pair has synced it before (is its disk unmounted?); connect it and run again, or to sync into a new empty folder there, ${CONFIRM}`,
        }
      : { moved: false, problem: null };
  }
  if (!f.synced) return { moved: false, problem: null };
  let why: string | null = null;
  if (!f.marker)
    why = `the target ${f.target} has no .tandem marker, yet this pair synced it before (another disk mounted there, or the folder replaced?)`;
  else if (!f.marker.pairs[f.key])
    why = `the target ${f.target} is marked as the target of other pairs, not of this one (a copy of another pair's target?)`;
  else if (f.lastDev !== f.dev)
    why = `the target ${f.target} is on another disk than when this pair last synced it`;
  return why
    ? { moved: true, problem: `${why}; if it is the right folder, ${CONFIRM}` }
    : { moved: false, problem: null };
}
