// `npm run bench:watchers`: the three watchers Tandem can use, side by side on one tree: its own
// folder watches (a non-recursive fs.watch per folder in a worker thread, as the service runs
// them; needs `npm run build`), @parcel/watcher (native, one inotify watch per folder, a tree of
// every entry) and chokidar (one inotify watch and one listener per file). For each: time until it is ready, resident memory it adds once idle, the inotify
// watches it holds, and how long an edit takes to reach it. Each runs in its own process, so
// neither's memory shows in the other's figure.
//
//   BENCH_WATCH_FILES=1000000 npm run bench:watchers   (10,000 folders of 100 files of 1–8 KiB)
//   BENCH_WATCH_KEEP=1 keeps the tree in .bench-data for the next run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inotifyWatches } from '../electron/testing/inotifyWatches.js';
import { log } from './log.js';
import { median } from './measure.js';

const FILES = Number(process.env.BENCH_WATCH_FILES ?? 100_000);
const PER_FOLDER = 100;
const EDITS = 7;

interface Figures {
  backend: string;
  readyMs: number;
  rssMb: number;
  watches: number;
  editMs: number[];
  error?: string;
}

function settle(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) gc?.();
  return process.memoryUsage().rss;
}

async function child(backend: string, root: string): Promise<void> {
  const rss0 = settle();
  const t0 = performance.now();
  const seen = new Map<string, () => void>();
  const onPath = (p: string): void => {
    const done = seen.get(p);
    if (done) {
      seen.delete(p);
      done();
    }
  };
  let close: () => Promise<void>;
  if (backend === 'folders') {
    const { Worker } = await import('node:worker_threads');
    const script = path.join(
      path.dirname(fileURLToPath(import.meta.url)),
      '..',
      'dist',
      'electron',
      'engine',
      'watch',
      'folderWatchWorker.js',
    );
    const w = new Worker(script, { workerData: { root, ignore: [] } });
    await new Promise<void>((resolve, reject) => {
      w.on('message', (m: { t: string; events?: [string, string][]; message?: string }) => {
        if (m.t === 'ready') resolve();
        else if (m.t === 'events') for (const [, rel] of m.events!) onPath(path.join(root, rel));
        else reject(new Error(m.message));
      });
      w.on('error', reject);
    });
    close = () => w.terminate().then(() => undefined);
  } else if (backend === 'parcel') {
    const parcel = await import('@parcel/watcher');
    const sub = await parcel.subscribe(root, (err, events) => {
      if (err) throw err;
      for (const e of events) onPath(e.path);
    });
    close = () => sub.unsubscribe();
  } else {
    const { watch } = await import('chokidar');
    const w = watch(root, { ignoreInitial: true, followSymlinks: false, atomic: false });
    w.on('all', (_k, p) => onPath(p));
    await new Promise<void>((r) => w.once('ready', () => r()));
    close = () => w.close();
  }
  const readyMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 500));
  const rssMb = (settle() - rss0) / 1048576;
  const watches = inotifyWatches();
  const editMs: number[] = [];
  for (let i = 0; i < EDITS; i++) {
    const p = path.join(root, `f${(i * 37) % Math.ceil(FILES / PER_FOLDER)}`, `edit-${i}.txt`);
    const arrived = new Promise<void>((r) => seen.set(p, r));
    const t = performance.now();
    fs.writeFileSync(p, `edit ${i}`);
    await arrived;
    editMs.push(performance.now() - t);
    fs.unlinkSync(p);
    await new Promise((r) => setTimeout(r, 100));
  }
  await close();
  const out: Figures = { backend, readyMs, rssMb, watches, editMs };
  process.stdout.write(JSON.stringify(out));
}

function makeTree(root: string): void {
  if (fs.existsSync(path.join(root, '.complete'))) return;
  fs.rmSync(root, { recursive: true, force: true });
  log(`bench:watchers: writing ${FILES.toLocaleString('en-US')} files of 1–8 KiB…`);
  const block = Buffer.alloc(8192, 0x61);
  for (let f = 0; f * PER_FOLDER < FILES; f++) {
    const dir = path.join(root, `f${f}`);
    fs.mkdirSync(dir, { recursive: true });
    for (let i = 0; i < PER_FOLDER && f * PER_FOLDER + i < FILES; i++)
      fs.writeFileSync(
        path.join(dir, `n${i}.dat`),
        block.subarray(0, 1024 + ((f * 131 + i * 977) % 7168)),
      );
  }
  fs.writeFileSync(path.join(root, '.complete'), '');
}

function runChild(backend: string, root: string): Promise<Figures> {
  return new Promise((resolve) => {
    const self = fileURLToPath(import.meta.url);
    const p = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', self, '--child', backend, root],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => {
      try {
        resolve(JSON.parse(out) as Figures);
      } catch {
        resolve({
          backend,
          readyMs: NaN,
          rssMb: NaN,
          watches: 0,
          editMs: [],
          error: `exit ${code}`,
        });
      }
    });
  });
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3]!, process.argv[4]!);
  const base = fs.existsSync('.bench-data') ? '.bench-data' : os.tmpdir();
  const root = path.resolve(base, `watch-${FILES}`);
  makeTree(root);
  const folders = Math.ceil(FILES / PER_FOLDER) + 1;
  const limit = Number(fs.readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8'));
  const rows: Figures[] = [];
  for (const backend of ['folders', 'parcel', 'chokidar']) {
    if (backend === 'chokidar' && FILES + folders > limit) {
      rows.push({
        backend,
        readyMs: NaN,
        rssMb: NaN,
        watches: 0,
        editMs: [],
        error: `needs ${(FILES + folders).toLocaleString('en-US')} watches, over this machine's limit of ${limit.toLocaleString('en-US')}`,
      });
      continue;
    }
    log(`bench:watchers: ${backend}…`);
    rows.push(await runChild(backend, root));
  }
  const lines = [
    '',
    `Watchers — ${FILES.toLocaleString('en-US')} files in ${folders.toLocaleString('en-US')} folders, one side, node ${process.version}, ${os.cpus().length} CPUs`,
    'backend    ready      memory added   inotify watches   edit → event (median / max of 7)',
  ];
  for (const r of rows) {
    lines.push(
      r.error
        ? `${r.backend.padEnd(10)} ${r.error}`
        : `${r.backend.padEnd(10)} ${(r.readyMs / 1000).toFixed(2).padStart(6)} s  ${r.rssMb.toFixed(0).padStart(7)} MiB   ${r.watches.toLocaleString('en-US').padStart(15)}   ${median(r.editMs).toFixed(0)} / ${Math.max(...r.editMs).toFixed(0)} ms`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
  if (!process.env.BENCH_WATCH_KEEP) fs.rmSync(root, { recursive: true, force: true });
}

await main();
