// Human text for numbers the UI shows: sizes, relative times, durations, kinds and folder names.
import {
  entryFacts,
  escapeName,
  type ChangeKind,
  type ConflictReason,
  type EntryFacts,
  type EntryType,
  type PlanItem,
} from './contract.js';

export { formatBytes } from './contract.js';

/** "just now", "2 min ago", "3 h ago", "yesterday", "5 days ago", then a date. */
export function formatRelative(time: number, now: number = Date.now()): string {
  const s = Math.round((now - time) / 1000);
  if (s < -30) return `in ${formatDuration(-s)}`;
  if (s < 45) return 'just now';
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.round(min / 60);
  if (h < 24) return `${h} h ago`;
  const days = Math.round(h / 24);
  if (days === 1) return 'yesterday';
  if (days < 30) return `${days} days ago`;
  return new Date(time).toLocaleDateString();
}

/** A short duration: "2 s", "3 min", "1 h 20 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  const rest = min % 60;
  return rest ? `${h} h ${rest} min` : `${h} h`;
}

/** "1 change", "3 changes". */
export function plural(n: number, one: string, many: string = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** The last component of a path, for either separator; a root stays itself. */
export function basename(p: string): string {
  const trimmed = p.replace(/[\\/]+$/, '');
  if (trimmed === '') return p || '';
  const i = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
  const base = trimmed.slice(i + 1);
  return base === '' || /^[A-Za-z]:$/.test(base) ? trimmed : base;
}

/** Appends a folder name to a path with the path's own separator. */
/**
 * Whether a typed folder is an address on another machine (host:path, user@host:path,
 * ssh://…) rather than a path here: a colon before any slash, and not a drive letter (C:\\).
 * The daemon decides for real (a local folder whose name holds a colon is local there).
 */
export function isAddress(s: string): boolean {
  const t = s.trim();
  if (t.startsWith('ssh://')) return true;
  if (/^[A-Za-z]:([\\/]|$)/.test(t)) return false;
  const colon = t.indexOf(':');
  const slash = t.indexOf('/');
  return colon > 0 && (slash < 0 || colon < slash);
}

export function joinPath(dir: string, name: string): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return dir.endsWith(sep) ? dir + name : dir + sep + name;
}

export const KIND_LABELS: Record<ChangeKind, string> = {
  create: 'New',
  update: 'Changed',
  replaceType: 'Type change',
  metadata: 'Metadata',
  delete: 'Delete',
  rename: 'Move',
};

export const CONFLICT_EXPLANATIONS: Record<ConflictReason, string> = {
  targetEdited: 'The target was edited since Tandem last synced it',
  targetUnknown: 'The target holds data Tandem never saw in sync',
  bothChanged: 'Both sides changed it since they last agreed: choose which to keep',
};

const A_TYPE: Record<EntryType, string> = {
  file: 'a file',
  dir: 'a folder',
  symlink: 'a link',
  special: 'a special file (holds no data)',
};

/**
 * What an entry is, where the path alone does not say: a symlink and its link text, another name
 * of a hard-link group, a special file, what a type change replaced, or which metadata differs.
 * Null for a plain file or folder. The pending list asks it of plan items, the history of rows.
 */
export function describeEntry(e: { kind: ChangeKind } & EntryFacts): string | null {
  const parts: string[] = [];
  if (e.linkTo !== undefined) parts.push(`hard link to ${escapeName(e.linkTo)}`);
  else if (e.entry === 'symlink')
    parts.push(e.linkTarget !== undefined ? `link → ${escapeName(e.linkTarget)}` : 'symlink');
  else if (e.entry === 'special') parts.push('special file (holds no data)');
  if (e.replaced !== undefined && e.replaced !== e.entry)
    parts.push(`replaces ${A_TYPE[e.replaced]}`);
  if (e.kind === 'metadata' && e.differs?.length)
    parts.push(`${e.differs.join(', ')} ${e.differs.length === 1 ? 'differs' : 'differ'}`);
  return parts.length ? parts.join('; ') : null;
}

/** describeEntry for a plan item (a pending change). */
export function entryDetail(
  item: Pick<PlanItem, 'kind' | 'source' | 'target' | 'linkTo' | 'differs'>,
): string | null {
  return describeEntry({ kind: item.kind, ...entryFacts(item) });
}

/** The arrow between a pair's folders: → for a mirror, ⇄ for a two-way pair. */
export function pairArrow(pair: { mode?: 'mirror' | 'twoWay' }): string {
  return pair.mode === 'twoWay' ? '⇄' : '→';
}
