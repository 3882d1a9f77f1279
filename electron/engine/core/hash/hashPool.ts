// Hashes files on all cores: small files go to workers in batches, large files are split into
// chunk ranges so every core shares one big file. Small jobs are hashed inline, because starting
// a worker (about 40 ms with its WASM) costs more than hashing a few MiB.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { createSchemeHasher, type SchemeHasher } from './hashScheme.js';
import {
  BufferCache,
  hashChunkRange,
  type ChunkRangeResult,
  type ChunkRangeTask,
  type StatKey,
} from './hashFile.js';
import { chooseChunkSize, fileId } from './identifiers.js';
import { workerEntry } from '../runtime/workerEntry.js';

export interface HashRequest {
  path: string;
  stat: StatKey;
}

export type HashOutcome =
  | { ok: true; chunkSize: number; chunkIds: Buffer; fileId: Buffer; stat: StatKey }
  | { ok: false; changed: boolean; code: string; message: string };

/** Below this many bytes in one call, hash inline. */
const INLINE_BYTES = 48 * 1024 * 1024;
/** Files above this are split into ranges of about this size. */
const RANGE_BYTES = 32 * 1024 * 1024;
/** One worker message carries at most this many tasks or bytes. */
const BATCH_TASKS = 64;
const BATCH_BYTES = 16 * 1024 * 1024;

interface Slot {
  worker: Worker;
}

interface Pending {
  resolve: (r: ChunkRangeResult[]) => void;
  reject: (e: Error) => void;
}

export class HashPool {
  private slots: Slot[] = [];
  private starting: Promise<void> | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private readonly cache = new BufferCache();

  private constructor(
    readonly scheme: string,
    private readonly hasher: SchemeHasher,
    private readonly threads: number,
  ) {}

  /** `threads` 0 hashes everything inline (tests, tiny jobs). */
  static async create(scheme: string, threads = os.availableParallelism()): Promise<HashPool> {
    return new HashPool(scheme, await createSchemeHasher(scheme), threads);
  }

  get idBytes(): number {
    return this.hasher.idBytes;
  }

  /**
   * Hashes whole files. `onBytes` reports progress as ranges finish. Never rejects for a file's
   * own error; rejects with the signal's reason once `signal` aborts (between batches).
   */
  async hashFiles(
    reqs: HashRequest[],
    onBytes?: (bytes: number) => void,
    signal?: AbortSignal,
  ): Promise<HashOutcome[]> {
    const tasks: { task: ChunkRangeTask; file: number; bytes: number }[] = [];
    let totalBytes = 0;
    reqs.forEach((r, file) => {
      const chunkSize = chooseChunkSize(r.stat.size);
      totalBytes += r.stat.size;
      const total = Math.ceil(r.stat.size / chunkSize);
      const per = Math.max(1, Math.floor(RANGE_BYTES / chunkSize));
      if (total <= per) {
        tasks.push({
          task: { path: r.path, chunkSize, first: 0, count: -1, expect: r.stat },
          file,
          bytes: r.stat.size,
        });
      } else {
        for (let first = 0; first < total; first += per) {
          const count = Math.min(per, total - first);
          tasks.push({
            task: { path: r.path, chunkSize, first, count, expect: r.stat },
            file,
            bytes: count * chunkSize,
          });
        }
      }
    });

    const results: ChunkRangeResult[] = new Array(tasks.length);
    if (this.threads === 0 || totalBytes < INLINE_BYTES) {
      // Inline; yield between slices so progress can be drawn and timers still fire.
      let sliceBytes = 0;
      for (let i = 0; i < tasks.length; i++) {
        signal?.throwIfAborted();
        const t = tasks[i]!;
        results[i] = hashChunkRange(t.task, this.hasher, this.cache);
        onBytes?.(t.bytes);
        sliceBytes += t.bytes;
        if (sliceBytes > BATCH_BYTES) {
          sliceBytes = 0;
          await new Promise((r) => setImmediate(r));
        }
      }
    } else {
      await this.start();
      const batches: number[][] = [];
      let cur: number[] = [];
      let curBytes = 0;
      tasks.forEach((t, i) => {
        cur.push(i);
        curBytes += t.bytes;
        if (cur.length >= BATCH_TASKS || curBytes >= BATCH_BYTES) {
          batches.push(cur);
          cur = [];
          curBytes = 0;
        }
      });
      if (cur.length) batches.push(cur);
      let next = 0;
      // Each worker keeps two batches in flight so it never waits for the main thread.
      const runSlot = async (slot: Slot): Promise<void> => {
        while (next < batches.length) {
          signal?.throwIfAborted();
          const batch = batches[next++]!;
          const res = await this.send(
            slot,
            batch.map((i) => tasks[i]!.task),
          );
          batch.forEach((ti, k) => {
            results[ti] = res[k]!;
            onBytes?.(tasks[ti]!.bytes);
          });
        }
      };
      await Promise.all(this.slots.flatMap((s) => [runSlot(s), runSlot(s)]));
    }
    return this.assemble(reqs, tasks, results);
  }

  private assemble(
    reqs: HashRequest[],
    tasks: { task: ChunkRangeTask; file: number }[],
    results: ChunkRangeResult[],
  ): HashOutcome[] {
    const parts: ChunkRangeResult[][] = reqs.map(() => []);
    tasks.forEach((t, i) => parts[t.file]!.push(results[i]!));
    return reqs.map((r, f) => {
      const rs = parts[f]!;
      const bad = rs.find((x) => !x.ok);
      if (bad && !bad.ok)
        return { ok: false, changed: bad.changed, code: bad.code, message: bad.message };
      const oks = rs as Extract<ChunkRangeResult, { ok: true }>[];
      const stat = oks[0]!.stat;
      const chunkSize = chooseChunkSize(stat.size);
      const chunkIds =
        oks.length === 1 ? oks[0]!.chunkIds : Buffer.concat(oks.map((x) => x.chunkIds));
      const expectedLen = Math.ceil(stat.size / chunkSize) * this.hasher.idBytes;
      if (chunkIds.length !== expectedLen) {
        return { ok: false, changed: true, code: 'CHANGED', message: 'changed while it was read' };
      }
      return {
        ok: true,
        chunkSize,
        chunkIds,
        fileId: fileId(this.hasher, stat.size, chunkSize, chunkIds),
        stat,
      };
    });
  }

  private send(slot: Slot, tasks: ChunkRangeTask[]): Promise<ChunkRangeResult[]> {
    const id = this.nextId++;
    return new Promise<ChunkRangeResult[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, tasks });
    });
  }

  private start(): Promise<void> {
    if (!this.starting) {
      const { url, execArgv } = workerEntry(import.meta.url, 'hashWorker');
      this.starting = Promise.all(
        Array.from({ length: this.threads }, () => {
          const worker = new Worker(url, { workerData: { scheme: this.scheme }, execArgv });
          const slot: Slot = { worker };
          this.slots.push(slot);
          return new Promise<void>((resolve, reject) => {
            worker.on(
              'message',
              (m: { ready?: boolean; id?: number; results?: ChunkRangeResult[] }) => {
                if (m.ready) return resolve();
                const p = this.pending.get(m.id!);
                if (!p) return;
                this.pending.delete(m.id!);
                // Transferred buffers arrive as plain Uint8Arrays: give them Buffer methods again.
                p.resolve(
                  m.results!.map((r) =>
                    r.ok
                      ? {
                          ...r,
                          chunkIds: Buffer.from(
                            r.chunkIds.buffer,
                            r.chunkIds.byteOffset,
                            r.chunkIds.byteLength,
                          ),
                        }
                      : r,
                  ),
                );
              },
            );
            worker.on('error', (e) => {
              reject(e);
              for (const p of this.pending.values())
                p.reject(new Error('a hash worker failed', { cause: e }));
              this.pending.clear();
            });
          });
        }),
      ).then(() => undefined);
    }
    return this.starting;
  }

  async close(): Promise<void> {
    const slots = this.slots;
    this.slots = [];
    this.starting = null;
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
