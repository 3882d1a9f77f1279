// A source scanned against an index of its own, outside a SyncSession: the side of a remote
// pair that holds the source (this side's for a push, remoteSession.ts; the far side's for a
// pull, sourceHalf.ts). The same scanSide as a local pair's, with that index's rows and ids.
import type { SessionProgress } from '../pair/syncSession.js';
import type { HashPool } from '../core/hash/hashPool.js';
import type { SchemeHasher } from '../core/hash/hashScheme.js';
import type { IdentifierIndex } from '../core/index/identifierIndex.js';
import { scanSide, type ScanResult } from '../core/scan/scan.js';
import type { WalkResult } from '../core/scan/walk.js';
import { wantsXattrs, type XattrOptions } from '../core/scan/xattrs.js';

export interface IndexedSourceScan {
  root: string;
  index: IdentifierIndex;
  scheme: string;
  hasher: SchemeHasher;
  pool: HashPool;
  listing: WalkResult;
  /** the target's mtime granularity (folder ids hold mtimes in it) */
  granularityMs: number;
  xattrs: XattrOptions;
  onProgress?: (p: SessionProgress) => void;
  signal?: AbortSignal;
}

/** Hashes the source from its listing and the index rows it may reuse. */
export function scanIndexedSource(s: IndexedSourceScan): Promise<ScanResult> {
  let files = 0;
  const progress = (bytesDone: number, bytesTotal: number) =>
    s.onProgress?.({ phase: 'scan', side: 'source', files, bytesDone, bytesTotal });
  return scanSide({
    root: s.root,
    side: 'source',
    scheme: s.scheme,
    hasher: s.hasher,
    pool: s.pool,
    indexed: s.index.load('source', s.scheme),
    listing: s.listing,
    mtimeGranularityMs: s.granularityMs,
    ...(wantsXattrs(s.xattrs) ? { xattrs: s.xattrs } : {}),
    loadId: (p) => s.index.loadId('source', p),
    loadChunkIds: (p) => s.index.loadChunkIds('source', p),
    onHashPlanned: (n, bytes) => {
      files = n;
      progress(0, bytes);
    },
    onHashProgress: progress,
    ...(s.signal ? { signal: s.signal } : {}),
  });
}

/** Stores what a scan found (its rows, attribute ids and scheme) in the source's index. */
export function storeSourceScan(index: IdentifierIndex, src: ScanResult, scheme: string): void {
  index.write('source', src.upserts, src.deletions);
  index.setXattrIds('source', src.xattrUpdates ?? []);
  index.setMeta('scheme', scheme);
}
