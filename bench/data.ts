// Deterministic benchmark data: the big file of scenario (a), the many-small-files tree of (b)-(d)
// and the live pair's tree of folders of 100 (bench:scale), the seeded modifications applied
// before a measured sync, and their exact undo.
import {
  closeSync,
  mkdirSync,
  openSync,
  readSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { ByteStream, Rng, seededBytes } from './prng.js';

export const KIB = 1024;
export const MIB = 1024 * KIB;
export const GIB = 1024 * MIB;
/** Every generated file and folder gets this mtime (2020-09-13); modified files get T1. */
export const T0 = 1_600_000_000;
export const T1 = T0 + 3600;

export interface Region {
  offset: number;
  length: number;
}

export interface BigFilePlan {
  name: string;
  size: number;
  regions: Region[];
}

/** One file of `size` (1 GiB × scale, 4 KiB aligned) and 3 scattered 4 KiB regions, one per third. */
export function planBigFile(scale: number): BigFilePlan {
  const size = Math.max(64 * KIB, Math.round((GIB * scale) / (4 * KIB)) * 4 * KIB);
  const rng = new Rng('big/regions');
  const third = Math.floor(size / 3 / (4 * KIB));
  const regions: Region[] = [0, 1, 2].map((k) => ({
    offset: (k * third + rng.int(0, third - 1)) * 4 * KIB,
    length: 4 * KIB,
  }));
  return { name: 'big.bin', size, regions };
}

/** The engine's chunk-size rule (DESIGN.md): smallest power of two ≥ 128 KiB with < 2,000 chunks, ≤ 16 MiB. */
export function chunkSizeFor(size: number): number {
  let c = 128 * KIB;
  while (c < 16 * MIB && size >= 2000 * c) c *= 2;
  return c;
}

/** Bytes of the distinct chunks that the regions touch (what a chunk-level sync must rewrite). */
export function changedChunkBytes(plan: BigFilePlan): {
  chunkSize: number;
  chunks: number;
  bytes: number;
} {
  const chunkSize = chunkSizeFor(plan.size);
  const touched = new Set<number>();
  for (const r of plan.regions) {
    for (
      let c = Math.floor(r.offset / chunkSize);
      c <= Math.floor((r.offset + r.length - 1) / chunkSize);
      c++
    )
      touched.add(c);
  }
  let bytes = 0;
  for (const c of touched) bytes += Math.min(chunkSize, plan.size - c * chunkSize);
  return { chunkSize, chunks: touched.size, bytes };
}

export function writeBigFile(dir: string, plan: BigFilePlan): void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, plan.name);
  const stream = new ByteStream('big/content');
  const fd = openSync(path, 'w');
  try {
    for (let pos = 0; pos < plan.size;) {
      const n = Math.min(8 * MIB, plan.size - pos);
      writeSync(fd, stream.next(n), 0, n, pos);
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  utimesSync(path, T0, T0);
  utimesSync(dir, T0, T0);
}

/** Overwrites the regions with seeded new bytes (mtime T1); returns the original bytes for undo. */
export function applyBigMods(dir: string, plan: BigFilePlan): Buffer[] {
  const path = join(dir, plan.name);
  const fd = openSync(path, 'r+');
  const saved: Buffer[] = [];
  try {
    plan.regions.forEach((r, k) => {
      const old = Buffer.alloc(r.length);
      readSync(fd, old, 0, r.length, r.offset);
      saved.push(old);
      writeSync(fd, seededBytes(`big/mod/${k}`, r.length), 0, r.length, r.offset);
    });
  } finally {
    closeSync(fd);
  }
  utimesSync(path, T1, T1);
  return saved;
}

export function restoreBigMods(dir: string, plan: BigFilePlan, saved: Buffer[]): void {
  const path = join(dir, plan.name);
  const fd = openSync(path, 'r+');
  try {
    plan.regions.forEach((r, k) => writeSync(fd, saved[k] as Buffer, 0, r.length, r.offset));
  } finally {
    closeSync(fd);
  }
  utimesSync(path, T0, T0);
}

export interface TreeFile {
  rel: string;
  size: number;
  seed: string;
}

export interface TreeMod {
  index: number;
  size: number;
  seed: string;
}

export interface TreePlan {
  dirs: string[];
  files: TreeFile[];
  mods: TreeMod[];
  totalBytes: number;
}

export const TOP_DIRS = 20;
export const SUB_DIRS = 10;

/** 20,000 × scale files of 1–64 KiB over 20 × 10 folders, and ~50 × scale of them to rewrite. */
export function planTree(scale: number): TreePlan {
  const rng = new Rng('tree/layout');
  const count = Math.max(10, Math.round(20_000 * scale));
  const dirs: string[] = [];
  for (let t = 0; t < TOP_DIRS; t++) {
    const top = `d${String(t).padStart(2, '0')}`;
    dirs.push(top);
    for (let s = 0; s < SUB_DIRS; s++) dirs.push(`${top}/s${s}`);
  }
  const leaves = dirs.filter((d) => d.includes('/'));
  const files: TreeFile[] = [];
  let totalBytes = 0;
  for (let i = 0; i < count; i++) {
    const dir = leaves[rng.int(0, leaves.length - 1)] as string;
    const size = rng.int(KIB, 64 * KIB);
    totalBytes += size;
    files.push({ rel: `${dir}/f${String(i).padStart(5, '0')}.bin`, size, seed: `tree/file/${i}` });
  }
  const modCount = Math.min(count, Math.max(3, Math.round(50 * scale)));
  const mods = rng.sample(count, modCount).map((index, k) => {
    const size = k % 2 === 0 ? (files[index] as TreeFile).size : rng.int(KIB, 64 * KIB);
    return { index, size, seed: `tree/mod/${index}` };
  });
  return { dirs, files, mods, totalBytes };
}

export const FILES_PER_FOLDER = 100;
export const FOLDERS_PER_TOP = 100;

/**
 * The live pair's tree of issue 11: `count` files of 1–8 KiB, 100 to a folder, 100 folders to a
 * top folder (1,000,000 files: 10,000 folders in 100), and `edits` distinct files to rewrite.
 */
export function planFolderTree(count: number, edits = 10): TreePlan {
  const rng = new Rng('folders/layout');
  const leaves = Math.ceil(count / FILES_PER_FOLDER);
  const dirs: string[] = [];
  for (let l = 0; l < leaves; l++) {
    const top = `t${String(Math.floor(l / FOLDERS_PER_TOP)).padStart(3, '0')}`;
    if (l % FOLDERS_PER_TOP === 0) dirs.push(top);
    dirs.push(`${top}/l${String(l % FOLDERS_PER_TOP).padStart(2, '0')}`);
  }
  const leafDirs = dirs.filter((d) => d.includes('/'));
  const files: TreeFile[] = [];
  let totalBytes = 0;
  for (let i = 0; i < count; i++) {
    const size = rng.int(KIB, 8 * KIB);
    totalBytes += size;
    const dir = leafDirs[Math.floor(i / FILES_PER_FOLDER)] as string;
    files.push({
      rel: `${dir}/f${String(i).padStart(7, '0')}.bin`,
      size,
      seed: `folders/file/${i}`,
    });
  }
  const mods = rng.sample(count, Math.min(count, edits)).map((index, k) => {
    const size = k % 2 === 0 ? (files[index] as TreeFile).size : rng.int(KIB, 8 * KIB);
    return { index, size, seed: `folders/mod/${index}` };
  });
  return { dirs, files, mods, totalBytes };
}

/** Writes the plan's tree under `root`; `onProgress` hears the files written, every 10,000. */
export function writeTree(
  root: string,
  plan: TreePlan,
  onProgress?: (filesWritten: number) => void,
): void {
  mkdirSync(root, { recursive: true });
  for (const d of plan.dirs) mkdirSync(join(root, d), { recursive: true });
  plan.files.forEach((f, i) => {
    const path = join(root, f.rel);
    writeFileSync(path, seededBytes(f.seed, f.size));
    utimesSync(path, T0, T0);
    if ((i + 1) % 10_000 === 0) onProgress?.(i + 1);
  });
  // Deepest folders first, so setting a child's time cannot disturb its parent's.
  for (const d of [...plan.dirs].reverse()) utimesSync(join(root, d), T0, T0);
  utimesSync(root, T0, T0);
}

/** Rewrites the planned files in place (same inode, same folder) with new content, mtime T1. */
export function applyTreeMods(root: string, plan: TreePlan): void {
  for (const m of plan.mods) {
    const path = join(root, (plan.files[m.index] as TreeFile).rel);
    writeFileSync(path, seededBytes(m.seed, m.size));
    utimesSync(path, T1, T1);
  }
}

export function restoreTreeMods(root: string, plan: TreePlan): void {
  for (const m of plan.mods) {
    const f = plan.files[m.index] as TreeFile;
    const path = join(root, f.rel);
    writeFileSync(path, seededBytes(f.seed, f.size));
    utimesSync(path, T0, T0);
  }
}
