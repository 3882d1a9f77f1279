// Scans a tree through a TargetFs (the in-memory fake, or a real folder via NodeTargetFs) into the
// ScanResult that compare and apply take, with the engine's own id functions, so that unit tests
// can run a whole plan-and-apply over the fake. No index, no pool: every file is hashed.
import type { SchemeHasher } from '../engine/core/hash/hashScheme.js';
import { chooseChunkSize, fileId, symlinkId } from '../engine/core/hash/identifiers.js';
import { buildFolders, folderIdOfChildren, type ScanResult } from '../engine/core/scan/scan.js';
import type { TreeNode } from '../engine/core/scan/tree.js';
import { STATE_DIR, type WalkEntry, type WalkResult } from '../engine/core/scan/walk.js';
import { readAll, type TargetFs } from '../engine/core/target/targetFs.js';

export function scanTargetFs(
  t: TargetFs,
  hasher: SchemeHasher,
  opts: { granularityMs?: number; asTarget?: boolean } = {},
): ScanResult {
  const gran = opts.granularityMs ?? 1;
  const entries = new Map<string, WalkEntry>();
  const nodes = new Map<string, TreeNode>();
  const root = t.lstat('')!;
  entries.set('', { ...root, type: 'dir', allocated: 0 });
  const visit = (dir: string): void => {
    for (const name of t.readdir(dir)) {
      const p = dir ? `${dir}/${name}` : name;
      if (!dir && name === STATE_DIR) continue;
      const st = t.lstat(p)!;
      if (st.type === 'special') continue;
      const e: WalkEntry = { ...st, type: st.type, allocated: st.size };
      if (st.type === 'symlink') e.linkTarget = t.readlink(p);
      entries.set(p, e);
      if (st.type === 'dir') visit(p);
      else if (st.type === 'symlink')
        nodes.set(p, { ...base(e), type: 'symlink', id: symlinkId(hasher, e.linkTarget!) });
      else nodes.set(p, hashFile(t, p, e, hasher));
      // A target entry counts as what Tandem last wrote: the tests here are about the door.
      if (opts.asTarget && st.type !== 'dir') nodes.get(p)!.base = 1;
    }
  };
  visit('');
  const walk: WalkResult = { root: t.root, entries, skipped: [], collisions: [] };
  buildFolders(walk, nodes, (_d, names, _e, paths) =>
    folderIdOfChildren(hasher, nodes, names, paths, gran),
  );
  return {
    tree: { scheme: hasher.scheme, idBytes: hasher.idBytes, nodes },
    walk,
    skipped: [],
    upserts: [],
    deletions: [],
  };
}

function base(e: WalkEntry): Pick<TreeNode, 'size' | 'mtimeMs' | 'mode' | 'linkTarget'> {
  return {
    size: e.type === 'file' ? e.size : 0,
    mtimeMs: e.mtimeMs,
    mode: e.mode,
    ...(e.linkTarget !== undefined ? { linkTarget: e.linkTarget } : {}),
  };
}

function hashFile(t: TargetFs, p: string, e: WalkEntry, h: SchemeHasher): TreeNode {
  const cs = chooseChunkSize(e.size);
  const n = Math.ceil(e.size / cs);
  const ids = Buffer.alloc(n * h.idBytes);
  const buf = Buffer.allocUnsafe(cs);
  const f = t.openRead(p);
  try {
    for (let i = 0; i < n; i++) {
      const len = readAll(f, buf, Math.min(cs, e.size - i * cs), i * cs);
      h.hash(buf.subarray(0, len)).copy(ids, i * h.idBytes);
    }
  } finally {
    f.close();
  }
  return {
    ...base(e),
    type: 'file',
    id: fileId(h, e.size, cs, ids),
    chunkSize: cs,
    chunkIds: ids,
  };
}
