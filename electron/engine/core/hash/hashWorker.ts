// Worker thread: hashes batches of chunk ranges for the HashPool.
import { parentPort, workerData } from 'node:worker_threads';
import { createSchemeHasher } from './hashScheme.js';
import {
  BufferCache,
  hashChunkRange,
  type ChunkRangeTask,
  type ChunkRangeResult,
} from './hashFile.js';

interface Request {
  id: number;
  tasks: ChunkRangeTask[];
}

const port = parentPort;
if (!port) throw new Error('hashWorker must run in a worker thread');
const hasher = await createSchemeHasher((workerData as { scheme: string }).scheme);
const cache = new BufferCache();

port.on('message', (req: Request) => {
  const results: ChunkRangeResult[] = req.tasks.map((t) => hashChunkRange(t, hasher, cache));
  // Transfer the id buffers instead of copying them (they are fresh allocations per task).
  const transfer = results.flatMap((r) => (r.ok ? [r.chunkIds.buffer as ArrayBuffer] : []));
  port.postMessage({ id: req.id, results }, transfer);
});
port.postMessage({ ready: true });
