// Human text for numbers the UI shows: sizes, relative times, durations, kinds and folder names.
import type { ChangeKind, ConflictReason, PlanItem } from './contract.js';
import { escapeName } from './contract.js';

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
};

/**
 * What an entry is, where the path alone does not say: a symlink and its link text, another name
 * of a hard-link group, a special file, or which metadata differs. Null for a plain file or folder.
 */
export function entryDetail(
  item: Pick<PlanItem, 'kind' | 'source' | 'target' | 'linkTo' | 'differs'>,
): string | null {
  if (item.linkTo !== undefined) return `hard link to ${escapeName(item.linkTo)}`;
  if (item.kind === 'metadata' && item.differs?.length) return `${item.differs.join(', ')} differ`;
  const shown = item.kind === 'delete' ? item.target : (item.source ?? item.target);
  if (shown?.type === 'symlink') return `link → ${escapeName(shown.linkTarget ?? '')}`;
  if (item.target?.type === 'special') return 'special file (holds no data)';
  return null;
}
