// The order in which apply carries out a plan: entries in the way first, then folders (parents
// first), moves, folders in the way that the moves emptied, files and symlinks, hard links to
// files written before them, metadata, and the remaining deletions last; every group of
// deletions children first.
import type { PlanItem } from '../../../shared/plan.js';
import { nameKey, type NameRules } from '../scan/walk.js';

export interface ApplyOrder {
  earlyDeletes: PlanItem[];
  folders: PlanItem[];
  /** target files moved to their new place (after folders, before files) */
  renames: PlanItem[];
  /**
   * folders in the way of a write that a move takes entries out of: deleted after the moves
   * (deleted before them, they still held what was moved and stayed, and the write failed)
   */
  deletesAfterMoves: PlanItem[];
  files: PlanItem[];
  /** further names of a hard-link group (-H): made once the files are in place */
  links: PlanItem[];
  metadata: PlanItem[];
  lateDeletes: PlanItem[];
}

/** A path as the target compares it (per segment, under its name rules). */
export function keyOf(p: string, rules: NameRules): string {
  return p
    .split('/')
    .map((s) => nameKey(s, rules))
    .join('/');
}

function atOrBelow(key: string, keys: ReadonlySet<string>): boolean {
  if (keys.has(key)) return true;
  for (let i = key.lastIndexOf('/'); i > 0; i = key.lastIndexOf('/', i - 1))
    if (keys.has(key.slice(0, i))) return true;
  return false;
}

export function orderForApply(items: readonly PlanItem[], rules: NameRules): ApplyOrder {
  const out: ApplyOrder = {
    earlyDeletes: [],
    folders: [],
    renames: [],
    deletesAfterMoves: [],
    files: [],
    links: [],
    metadata: [],
    lateDeletes: [],
  };
  const writes = items.filter(
    (i) =>
      i.kind === 'create' || i.kind === 'update' || i.kind === 'replaceType' || i.kind === 'rename',
  );
  const writePaths = new Set(writes.map((i) => i.path));
  const writeKeys = new Set(writes.map((i) => keyOf(i.path, rules)));
  const movedFromKeys = items.flatMap((i) => (i.kind === 'rename' ? [keyOf(i.from!, rules)] : []));
  const holdsMoved = (key: string): boolean => movedFromKeys.some((k) => k.startsWith(`${key}/`));
  for (const it of items) {
    switch (it.kind) {
      case 'delete':
        // The write at the same path replaces this entry itself (versioning it first).
        if (writePaths.has(it.path)) break;
        // Never delete a path (under the target's name rules) after the same plan wrote it.
        if (!atOrBelow(keyOf(it.path, rules), writeKeys)) out.lateDeletes.push(it);
        else if (holdsMoved(keyOf(it.path, rules))) out.deletesAfterMoves.push(it);
        else out.earlyDeletes.push(it);
        break;
      case 'metadata':
        out.metadata.push(it);
        break;
      case 'rename':
        out.renames.push(it);
        break;
      case 'create':
      case 'update':
      case 'replaceType':
        if (it.source!.type === 'dir') out.folders.push(it);
        else if (it.linkTo !== undefined) out.links.push(it);
        else out.files.push(it);
        break;
      default: {
        const never: never = it.kind;
        throw new Error(`unhandled change kind ${String(never)}`);
      }
    }
  }
  // Deletions go children first whatever order the plan gave them: a shared inode's rename that
  // splitSharedInodes turned into a write and a delete puts that delete where the rename was,
  // after its folder's (found by the property, seed 486392521: "-rf" was kept, still holding
  // "-rf/-rf", and only the next sync removed it). The sort is stable: siblings keep their order.
  for (const list of [out.earlyDeletes, out.deletesAfterMoves, out.lateDeletes])
    list.sort((x, y) => depth(y.path) - depth(x.path));
  return out;
}

function depth(p: string): number {
  let n = 0;
  for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) n++;
  return n;
}
