// Human-readable text for plans, results and sizes (the CLI's stdout; --json prints the objects).
import { formatBytes } from '../shared/format.js';
import type { ApplyResult, EntryType, Plan, PlanItem } from '../shared/plan.js';
import { escapeName } from '../shared/names.js';

/**
 * A path as a terminal line shows it: raw bytes and control characters as rsync's `\#ooo`
 * (shared/names.ts), and quoted where it starts or ends with a space, which a line would hide.
 */
export function showPath(p: string): string {
  const shown = escapeName(p);
  return /^\s|\s$/.test(shown) ? `"${shown}"` : shown;
}

const CONFLICT_TEXT = {
  targetEdited: 'target edited since the last sync',
  targetUnknown: 'target holds data never synced',
  bothChanged: 'changed on both sides; choose one or keep both',
} as const;

function typeName(t: EntryType): string {
  return t === 'special' ? 'special file' : t;
}

function mode(m: number): string {
  return (m & 0o7777).toString(8).padStart(3, '0');
}

export function formatItem(it: PlanItem): string {
  const c = it.conflict
    ? `  [needs approval: ${CONFLICT_TEXT[it.conflict]}; kept as a version]`
    : '';
  const p =
    showPath(it.path) +
    (it.source?.type === 'dir' || (it.kind === 'delete' && it.target?.type === 'dir') ? '/' : '');
  const sparse =
    it.source?.allocated !== undefined
      ? ` (sparse: ${formatBytes(it.source.allocated)} allocated)`
      : '';
  if (it.linkTo !== undefined)
    return `${it.kind === 'create' ? '+' : '~'} ${p}  hard link to ${showPath(it.linkTo)}${c}`;
  switch (it.kind) {
    case 'create':
      return `+ ${p}${it.source!.type === 'file' ? `  ${formatBytes(it.source!.size)}${sparse}` : it.source!.type === 'symlink' ? ` -> ${showPath(it.source!.linkTarget ?? '')}` : ''}${c}`;
    case 'update': {
      if (it.chunks) {
        const k = it.chunks.changed.length;
        return `~ ${p}  ${k} of ${it.chunks.total} chunks (${formatBytes(it.bytesToWrite)})${it.source!.size !== it.target!.size ? `, size ${formatBytes(it.target!.size)} -> ${formatBytes(it.source!.size)}` : ''}${c}`;
      }
      return `~ ${p} -> ${showPath(it.source!.linkTarget ?? '')}${c}`;
    }
    case 'replaceType':
      return `T ${p}  ${typeName(it.target!.type)} -> ${typeName(it.source!.type)}${sparse}${c}`;
    case 'metadata': {
      // What differs is the plan's to say (compare's one definition), not recomputed here.
      const parts = (it.differs ?? []).map((d) =>
        d === 'mode' ? `mode ${mode(it.target!.mode)} -> ${mode(it.source!.mode)}` : d,
      );
      return `m ${p}  ${parts.join(', ')}`;
    }
    case 'delete':
      return `- ${p}${c}`;
    case 'rename':
      return `> ${showPath(it.from ?? '')} -> ${p}`;
    default: {
      const never: never = it.kind;
      return String(never);
    }
  }
}

export function formatSummary(plan: Plan): string {
  const s = plan.summary;
  const parts = [
    s.create && `${s.create} new`,
    s.update && `${s.update} changed`,
    s.replaceType && `${s.replaceType} type changes`,
    s.metadata && `${s.metadata} metadata`,
    s.delete && `${s.delete} deleted`,
    s.rename && `${s.rename} moved`,
  ].filter(Boolean);
  const conflicts = s.conflicts
    ? `; ${s.conflicts} need approval (target data would be replaced, kept as versions)`
    : '';
  return `${parts.join(', ')}: ${formatBytes(s.bytesToWrite)} to write${conflicts}`;
}

export function formatPlan(plan: Plan, limit = 200): string {
  const lines: string[] = [];
  for (const it of plan.items.slice(0, limit)) lines.push(formatItem(it));
  if (plan.items.length > limit)
    lines.push(`… and ${plan.items.length - limit} more (use --json for all)`);
  for (const sk of plan.skipped) lines.push(`? ${showPath(sk.path)}  (${sk.side}: ${sk.reason})`);
  if (plan.items.length) lines.push(formatSummary(plan));
  return lines.join('\n');
}

export function formatResult(r: ApplyResult): string {
  const lines = r.failed.map((f) => `failed: ${showPath(f.path)}: ${f.message}`);
  if (r.stopped)
    lines.push(
      `stopped: ${r.stopped}${r.notAttempted.length ? ` (${r.notAttempted.length} more change${r.notAttempted.length === 1 ? '' : 's'} not attempted)` : ''}`,
    );
  const how = [
    r.patchedInPlace && `${r.patchedInPlace} patched in place`,
    r.renamedIntoPlace && `${r.renamedIntoPlace} written via temp file`,
  ]
    .filter(Boolean)
    .join(', ');
  lines.push(
    `applied ${r.applied} change${r.applied === 1 ? '' : 's'}${how ? ` (${how})` : ''}, wrote ${formatBytes(r.bytesWritten)}${r.failed.length ? `; ${r.failed.length} failed` : ''}`,
  );
  return lines.join('\n');
}

/** What opening a pair found and undid (an interrupted patch, a journal it could not use). */
export function reportRecovery(
  r: { rolledBack: string[]; problems: string[] },
  err: (s: string) => void,
): void {
  for (const f of r.rolledBack)
    err(
      `tandem: undid an interrupted patch of ${f}; it holds its old content and is synced again now`,
    );
  for (const p of r.problems) err(`tandem: ${p}`);
}
