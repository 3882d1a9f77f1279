// Compare: a pure function from the source and target id trees (the target's nodes carrying their
// standing against the baseline: what Tandem last wrote or found in sync) to the list of changes
// that would make the target equal the source.
import type { ChunkDiff, ConflictReason, MetadataField, PlanItem } from '../../../shared/plan.js';
import {
  chunkIdsOf,
  joinPath,
  snapshot,
  subtree,
  type IdTree,
  type TreeNode,
} from '../scan/tree.js';
import { EXACT_NAMES, nameKey, type NameRules } from '../scan/walk.js';
import { compareNames, sameMtime } from '../hash/identifiers.js';

export interface CompareOptions {
  /** paths skipped on either side: nothing at or below them is planned */
  protectedPaths?: ReadonlySet<string>;
  /** the target's mtime granularity in ms; mtimes in the same bucket are equal (sameMtime) */
  mtimeGranularityMs?: number;
  /** how the target compares names */
  targetNames?: NameRules;
}

export function isProtected(p: string, protectedPaths: ReadonlySet<string> | undefined): boolean {
  if (!protectedPaths || protectedPaths.size === 0) return false;
  if (protectedPaths.has(p)) return true;
  for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) {
    if (protectedPaths.has(p.slice(0, i))) return true;
  }
  return false;
}

/** Indexes of source chunks that differ from the target's, or all of them if chunk sizes differ. */
export function diffChunks(src: TreeNode, tgt: TreeNode, idBytes: number): ChunkDiff {
  const chunkSize = src.chunkSize!;
  const total = Math.ceil(src.size / chunkSize);
  const changed: number[] = [];
  const same = tgt.chunkSize === chunkSize && tgt.chunkIds !== undefined;
  const tgtTotal = same ? Math.ceil(tgt.size / chunkSize) : 0;
  for (let i = 0; i < total; i++) {
    if (i >= tgtTotal) {
      changed.push(i);
      continue;
    }
    const a = src.chunkIds!.subarray(i * idBytes, (i + 1) * idBytes);
    const b = tgt.chunkIds!.subarray(i * idBytes, (i + 1) * idBytes);
    // Equal ids mean equal bytes, length included: a shorter last chunk hashes differently.
    if (!a.equals(b)) changed.push(i);
  }
  return { chunkSize, total, changed };
}

/** Every chunk of a file: a copy of all of it. */
export function allChunks(n: TreeNode): number[] {
  return Array.from({ length: Math.ceil(n.size / n.chunkSize!) }, (_, i) => i);
}

/** Bytes the changed chunks of a file of `size` bytes hold (the last chunk may be shorter). */
export function bytesOfChunks(size: number, d: ChunkDiff): number {
  let n = 0;
  for (const i of d.changed) n += Math.min(d.chunkSize, size - i * d.chunkSize);
  return n;
}

/**
 * The one definition of "metadata differs": mode bits (not for symlinks, which have none of
 * their own on Linux) and mtime, in the target's granularity (sameMtime).
 */
export function metadataDifferences(
  s: Pick<TreeNode, 'type' | 'mode' | 'mtimeMs' | 'xattrId' | 'owner'>,
  t: Pick<TreeNode, 'type' | 'mode' | 'mtimeMs' | 'xattrId' | 'owner'>,
  granularityMs: number,
): MetadataField[] {
  const out: MetadataField[] = [];
  if (s.type !== 'symlink' && s.mode !== t.mode) out.push('mode');
  if (!sameMtime(s.mtimeMs, t.mtimeMs, granularityMs)) out.push('mtime');
  // Compared only where both sides read them (the pair syncs attributes).
  if (s.xattrId && t.xattrId && !s.xattrId.equals(t.xattrId)) out.push('xattr');
  if (s.owner && t.owner && (s.owner.uid !== t.owner.uid || s.owner.gid !== t.owner.gid))
    out.push('owner');
  return out;
}

export function compareTrees(
  source: IdTree,
  target: IdTree,
  opts: CompareOptions = {},
): PlanItem[] {
  if (source.scheme !== target.scheme) {
    throw new Error(
      `cannot compare ids of scheme ${source.scheme} with ids of scheme ${target.scheme}`,
    );
  }
  const gran = opts.mtimeGranularityMs ?? 1;
  const rules = opts.targetNames ?? EXACT_NAMES;
  const prot = opts.protectedPaths;
  const items: PlanItem[] = [];

  /** A target entry holding data Tandem did not write; folders and special files hold none. */
  const conflictOf = (t: TreeNode): ConflictReason | undefined =>
    t.type === 'dir' || t.type === 'special' || t.base === 1
      ? undefined
      : t.base === 2
        ? 'targetEdited'
        : 'targetUnknown';

  const pushCreate = (p: string, includeSelf = true): void => {
    const all = subtree(source, p);
    for (const q of includeSelf ? all : all.slice(1)) {
      if (isProtected(q, prot)) continue;
      const s = source.nodes.get(q)!;
      const linkTo = linkToOf(q, s);
      items.push({
        path: q,
        kind: 'create',
        source: snapshot(s),
        bytesToWrite: s.type === 'file' && !linkTo ? s.size : 0,
        ...(linkTo ? { linkTo } : {}),
      });
    }
  };

  /** Another name of a source hard-link group is written as a link to the group's first. */
  const linkToOf = (p: string, s: TreeNode): string | undefined =>
    s.linkGroup !== undefined && s.linkGroup !== p ? s.linkGroup : undefined;

  const pushDelete = (p: string, includeSelf = true): void => {
    // Children before parents, so a folder is emptied before it is removed.
    const all = subtree(target, p);
    for (const q of (includeSelf ? all : all.slice(1)).reverse()) {
      if (isProtected(q, prot)) continue;
      const t = target.nodes.get(q)!;
      const it: PlanItem = { path: q, kind: 'delete', target: snapshot(t), bytesToWrite: 0 };
      // An empty folder holds no data of its own; any file below it carries its own conflict.
      const c = conflictOf(t);
      if (c) it.conflict = c;
      items.push(it);
    }
  };

  const pushMetadata = (sp: string, sn: TreeNode, tn: TreeNode): void => {
    const differs = metadataDifferences(sn, tn, gran);
    if (differs.length)
      items.push({
        path: sp,
        kind: 'metadata',
        source: snapshot(sn),
        target: snapshot(tn),
        bytesToWrite: 0,
        differs,
      });
  };

  /** Compares a source folder with the target folder it corresponds to (the same name, or on a
   * folding target a spelling that differs only in case or form). */
  const visit = (sDir: string, tDir: string): void => {
    const s = source.nodes.get(sDir);
    const t = target.nodes.get(tDir);
    if (!s || !t) return;
    if (s.id.equals(t.id)) return; // equal folder ids: the whole subtree is identical
    const byKey = new Map<string, { s?: string; t?: string }>();
    for (const name of s.children ?? []) byKey.set(nameKey(name, rules), { s: name });
    for (const name of t.children ?? []) {
      const k = nameKey(name, rules);
      const e = byKey.get(k);
      if (e) e.t = name;
      else byKey.set(k, { t: name });
    }
    const keys = [...byKey.keys()].sort(compareNames);
    for (const k of keys) {
      const { s: sName, t: tName } = byKey.get(k)!;
      if (sName === undefined) {
        pushDelete(joinPath(tDir, tName!));
        continue;
      }
      const sp = joinPath(sDir, sName);
      if (isProtected(sp, prot)) continue;
      if (tName === undefined) {
        pushCreate(sp);
        continue;
      }
      const tp = joinPath(tDir, tName);
      const sn = source.nodes.get(sp)!;
      const tn = target.nodes.get(tp)!;
      if (tName !== sName) {
        // A case- or form-only difference on a target that folds names: the same entry under
        // another spelling. A folder, or an entry with the same id, is renamed (one rename on such
        // a filesystem; a delete and a create of the new spelling could never converge there).
        if (sn.type === tn.type && (sn.type === 'dir' || sn.id.equals(tn.id))) {
          items.push({
            path: sp,
            kind: 'rename',
            from: tp,
            source: snapshot(sn),
            target: snapshot(tn),
            bytesToWrite: 0,
          });
          if (sn.type === 'dir') visit(sp, tp);
          continue;
        }
        pushDelete(tp);
        pushCreate(sp);
        continue;
      }
      if (sn.type !== tn.type) {
        // The folder's contents go first; the replaceType item replaces the folder itself.
        if (tn.type === 'dir') pushDelete(tp, false);
        const linkTo = linkToOf(sp, sn);
        const it: PlanItem = {
          path: sp,
          kind: 'replaceType',
          source: snapshot(sn),
          target: snapshot(tn),
          bytesToWrite: sn.type === 'file' && !linkTo ? sn.size : 0,
          ...(linkTo ? { linkTo } : {}),
        };
        const c = conflictOf(tn);
        if (c) it.conflict = c;
        items.push(it);
        // The replaceType item makes the folder itself; its contents are created after it.
        if (sn.type === 'dir') pushCreate(sp, false);
        continue;
      }
      if (sn.type === 'dir') {
        pushMetadata(sp, sn, tn);
        visit(sp, tp);
        continue;
      }
      if (!sn.id.equals(tn.id)) {
        const it: PlanItem = {
          path: sp,
          kind: 'update',
          source: snapshot(sn),
          target: snapshot(tn),
          bytesToWrite: 0,
        };
        const linkTo = linkToOf(sp, sn);
        if (linkTo) it.linkTo = linkTo;
        else if (sn.type === 'file') {
          chunkIdsOf(source, sp);
          if (tn.type === 'file' && tn.chunkSize === sn.chunkSize) chunkIdsOf(target, tp);
          it.chunks = diffChunks(sn, tn, source.idBytes);
          it.bytesToWrite = bytesOfChunks(sn.size, it.chunks);
        }
        const c = conflictOf(tn);
        if (c) it.conflict = c;
        items.push(it);
      } else if (sn.type === 'file' && (sn.linkGroup ?? '') !== (tn.linkGroup ?? '')) {
        // The same bytes, another hard-link structure (-H): a name of a source group becomes a
        // link to its first; a name that shares an inode on the target only gets its own.
        const linkTo = linkToOf(sp, sn);
        if (linkTo || sn.linkGroup === undefined) {
          items.push({
            path: sp,
            kind: 'update',
            source: snapshot(sn),
            target: snapshot(tn),
            bytesToWrite: linkTo ? 0 : sn.size,
            ...(linkTo
              ? { linkTo }
              : {
                  chunks: {
                    chunkSize: sn.chunkSize!,
                    total: Math.ceil(sn.size / sn.chunkSize!),
                    changed: allChunks(sn),
                  },
                }),
          });
          // The new name or copy carries the source's metadata: no item of its own.
        } else pushMetadata(sp, sn, tn);
      } else pushMetadata(sp, sn, tn);
    }
  };

  visit('', '');
  return detectMoves(items);
}

/**
 * A target file that the plan deletes (cleanly: it is what Tandem last wrote) and a source file the
 * plan creates with the same file id is one file moved: apply renames it instead of copying it
 * again. Each deleted file pairs with at most one create.
 */
export function detectMoves(items: PlanItem[]): PlanItem[] {
  const deletedById = new Map<string, number[]>();
  items.forEach((it, i) => {
    if (it.kind === 'delete' && it.target?.type === 'file' && !it.conflict && it.target.size > 0) {
      const list = deletedById.get(it.target.id);
      if (list) list.push(i);
      else deletedById.set(it.target.id, [i]);
    }
  });
  if (deletedById.size === 0) return items;
  const drop = new Set<PlanItem>();
  const out: PlanItem[] = [];
  items.forEach((it) => {
    if (it.kind === 'create' && it.source?.type === 'file' && it.source.size > 0 && !it.linkTo) {
      const from = deletedById.get(it.source.id)?.shift();
      if (from !== undefined) {
        const del = items[from]!;
        drop.add(del);
        out.push({
          path: it.path,
          kind: 'rename',
          from: del.path,
          source: it.source,
          target: del.target!,
          bytesToWrite: 0,
        });
        return;
      }
    }
    out.push(it);
  });
  return drop.size ? out.filter((it) => !drop.has(it)) : out;
}
