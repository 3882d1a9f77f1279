// `npm run bench:scale`: the live pair at scale (issue 11). `tandem watch --auto` runs as a child
// process on a tree of 1–8 KiB files in folders of 100, both sides watched: first the copy into an
// empty target, then a restart on the warm index, timed until it says "watching: in sync"; its
// resident memory once idle and at its peak (/proc/PID/status), the inotify watches it holds, and
// 10 edits, each timed from the file's last write until the target holds the new bytes. Then the
// cost per file at each size, so that growth with the tree shows.
//
//   npm run bench:scale                                20,000 and 100,000 files
//   BENCH_SCALE_MILLION=1 npm run bench:scale          and 1,000,000 (10,000 folders, ~14 GB of disk)
//   BENCH_SCALE_FILES=20000,1000000 npm run bench:scale
//   BENCH_SCALE_MAX_RSS_MB=N stops a service that holds more than N MB (default: half the RAM).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inotifyWatches } from '../electron/testing/inotifyWatches.js';
import { ConfigError, REPO_ROOT, parseScaleSizes } from './config.js';
import { MIB, planFolderTree, writeTree, type TreePlan } from './data.js';
import { log } from './log.js';
import { procCpuSeconds, procMemory, type ProcMemory } from './measure.js';
import { seededBytes } from './prng.js';
import { formatBytes } from './report.js';
import { count, renderScale, secs, showCycles, type Row } from './scaleReport.js';
import { verifyTree } from './verify.js';
import { WatchProcess, children } from './watchProcess.js';

const SELF = fileURLToPath(import.meta.url);
const BUILT = path.join(REPO_ROOT, 'dist', 'electron', 'cli', 'main.js');
/** The service's quiet rule: a file is synced once it has gone 1 s unwritten (pairRunner). */
const QUIET_MS = 1_000;
const EDITS = 10;
const POLL_MS = 10;
/** How long the service is left alone after it is ready, before its idle memory is read. */
const IDLE_MS = 3_000;
const PHASE_TIMEOUT_MS = 60 * 60_000;
const EDIT_TIMEOUT_MS = 10 * 60_000;
const MAX_RSS = (Number(process.env.BENCH_SCALE_MAX_RSS_MB) || os.totalmem() / 2 / 1e6) * 1e6;

const METHOD = [
  `Live pair at scale — tandem watch --auto, 1–8 KiB files in folders of 100, both sides watched; node ${process.version}, Linux ${os.release()}, ${os.cpus().length} CPUs, ${formatBytes(os.totalmem())} RAM`,
  'first copy: start until "in sync" into an empty target; ready: restart on the warm index until "watching: in sync";',
  `resident = VmRSS ${secs(IDLE_MS)} after ready, peak = VmHWM after the edits (all threads); CPU = utime + stime until that line;`,
  `edit → applied: ${EDITS} edits, each from the file's last write until the target's bytes equal it (polled every ${POLL_MS} ms; the ${secs(QUIET_MS)} quiet rule included)`,
];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs this script in a child (`--write`, `--verify`): sync work that Ctrl-C can still stop. */
function runSelf(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', SELF, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.add(p);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code, signal) => {
      children.delete(p);
      if (code === 0) resolve(out);
      else reject(new Error(`${args[0]} ${signal ? `killed by ${signal}` : `exit ${code}`}`));
    });
  });
}

/** Disk for both sides (whole 4 KiB blocks, a block per folder) and both indexes, with room. */
function neededBytes(plan: TreePlan): number {
  let blocks = plan.dirs.length + 1;
  for (const f of plan.files) blocks += Math.ceil(f.size / 4096);
  return 2 * blocks * 4096 + plan.files.length * 1024 + 256 * MIB;
}

/** Edits one planned file and times it from the write until the target holds the new bytes. */
async function timeEdit(
  w: WatchProcess,
  plan: TreePlan,
  k: number,
  src: string,
  dst: string,
): Promise<number> {
  const m = plan.mods[k]!;
  const rel = plan.files[m.index]!.rel;
  const bytes = seededBytes(m.seed, m.size);
  fs.writeFileSync(path.join(src, rel), bytes);
  const written = performance.now();
  for (;;) {
    try {
      if (fs.readFileSync(path.join(dst, rel)).equals(bytes)) return performance.now() - written;
    } catch {
      // not there this instant (a rename under way)
    }
    const gone = w.gone();
    if (gone) throw new Error(`${gone} during edit ${k + 1}`);
    if (performance.now() - written > EDIT_TIMEOUT_MS)
      throw new Error(`edit ${k + 1} (${rel}) not on the target ${secs(EDIT_TIMEOUT_MS)} later`);
    await sleep(POLL_MS);
  }
}

async function measureSize(row: Row, plan: TreePlan, dir: string): Promise<void> {
  const src = path.join(dir, 'src');
  const dst = path.join(dir, 'dst');
  const home = path.join(dir, 'home');
  const free = fs.statfsSync(path.dirname(dir));
  if (free.bavail * free.bsize < neededBytes(plan))
    throw new Error(
      `needs about ${formatBytes(neededBytes(plan))} free in ${path.dirname(dir)}, has ${formatBytes(free.bavail * free.bsize)}`,
    );
  const what = `${count(row.files)} files`;
  log(`bench:scale: ${what}: writing the tree (${formatBytes(plan.totalBytes)})…`);
  let t = performance.now();
  await runSelf(['--write', String(row.files), src]);
  log(`bench:scale: ${what}: written in ${secs(performance.now() - t)}`);

  // First copy into an empty target: until the first "in sync" (the copy, and the scan after it).
  log(`bench:scale: ${what}: first copy…`);
  const watch = (label: string, onSample: (m: ProcMemory) => void): WatchProcess =>
    new WatchProcess({
      label: `${label}, ${what}`,
      source: src,
      target: dst,
      home,
      maxRss: MAX_RSS,
      timeoutMs: PHASE_TIMEOUT_MS,
      onSample,
    });
  const cold = watch('first copy', (m) => (row.copyPeak = m.peak));
  try {
    const synced = await cold.line(/ in sync$/, 'the first "in sync"', /watcher: /);
    row.copyMs = synced.at - cold.startedAt;
    row.copyCpuS = procCpuSeconds(cold.pid);
    await cold.line(/ watching: /, 'the ready line');
  } finally {
    const p = await cold.stop();
    if (p) log(`bench:scale: ${what}: first copy's service ${p}`);
    log(`bench:scale: ${what}: first copy's service: ${showCycles(cold.cycles())}`);
  }
  log(`bench:scale: ${what}: checking the copy byte for byte…`);
  t = performance.now();
  const errors = JSON.parse(await runSelf(['--verify', src, dst])) as string[];
  if (errors.length) throw new Error(`the first copy differs: ${errors.slice(0, 3).join('; ')}`);
  log(`bench:scale: ${what}: the copy is exact (checked in ${secs(performance.now() - t)})`);

  // Restart on the warm index: until "watching: in sync", then idle, then the edits.
  log(`bench:scale: ${what}: restarting on the warm index…`);
  const warm = watch('warm', (m) => (row.peakRss = m.peak));
  try {
    const ready = await warm.line(/ watching: /, 'the ready line', /watcher: /);
    row.readyCpuS = procCpuSeconds(warm.pid);
    if (!/ watching: in sync$/.test(ready.text)) throw new Error(`not in sync: ${ready.text}`);
    row.readyMs = ready.at - warm.startedAt;
    await sleep(IDLE_MS);
    row.idleRss = procMemory(warm.pid).rss;
    row.watches = inotifyWatches(warm.pid);
    log(
      `bench:scale: ${what}: ready in ${secs(row.readyMs)}; idle ${formatBytes(row.idleRss)} resident, ${count(row.watches)} inotify watches`,
    );
    const before = warm.cycles().length;
    for (let k = 0; k < plan.mods.length; k++) {
      await warm.quiet();
      row.editMs.push(await timeEdit(warm, plan, k, src, dst));
      log(
        `bench:scale: ${what}: edit ${k + 1}/${plan.mods.length}: ${row.editMs.at(-1)!.toFixed(0)} ms`,
      );
    }
    row.peakRss = procMemory(warm.pid).peak;
    row.editCycles = warm.cycles().slice(before);
  } finally {
    const p = await warm.stop();
    if (p) log(`bench:scale: ${what}: warm service ${p}`);
    log(`bench:scale: ${what}: warm service: ${showCycles(warm.cycles())}`);
  }
  t = performance.now();
  fs.rmSync(dir, { recursive: true, force: true });
  log(`bench:scale: ${what}: removed in ${secs(performance.now() - t)}`);
}

async function main(): Promise<number> {
  if (process.argv[2] === '--write') {
    const files = Number(process.argv[3]);
    writeTree(process.argv[4]!, planFolderTree(files), (n) => {
      if (n % Math.max(10_000, Math.round(files / 10 / 10_000) * 10_000) === 0)
        log(`  written ${count(n)} of ${count(files)} files`);
    });
    return 0;
  }
  if (process.argv[2] === '--verify') {
    const v = verifyTree(process.argv[3]!, process.argv[4]!);
    process.stdout.write(JSON.stringify(v.errors));
    return 0;
  }
  let sizes: number[];
  try {
    sizes = parseScaleSizes(process.env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    log(`bench:scale: ${e.message}`);
    return 2;
  }
  if (!fs.existsSync(BUILT)) {
    log('bench:scale: the CLI is not built; run `npm run build` first');
    return 2;
  }
  const dataRoot = path.join(REPO_ROOT, '.bench-data');
  const base = fs.mkdtempSync(
    path.join(fs.existsSync(dataRoot) ? dataRoot : os.tmpdir(), 'scale-'),
  );
  const rows: Row[] = [];
  let current: Row | null = null;
  let stopping = false;
  const cleanup = (): void => {
    for (const c of children) c.kill('SIGKILL');
    fs.rmSync(base, { recursive: true, force: true });
  };
  const interrupt = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log(`bench:scale: ${signal}: stopping the services and removing ${base}…`);
    if (current) current.problem ??= `interrupted (${signal})`;
    process.stdout.write(renderScale(rows, METHOD));
    cleanup();
    process.exit(130);
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  log(`bench:scale: sizes ${sizes.map(count).join(', ')}; data in ${base}`);
  try {
    for (const files of sizes) {
      const plan = planFolderTree(files, EDITS);
      const row: Row = { files, folders: 2 * (plan.dirs.length + 1), editMs: [], editCycles: [] };
      rows.push(row);
      current = row;
      try {
        await measureSize(row, plan, path.join(base, String(files)));
      } catch (e) {
        row.problem = (e as Error).message;
        log(`bench:scale: ${count(files)} files: ${row.problem}`);
        fs.rmSync(path.join(base, String(files)), { recursive: true, force: true });
      }
      current = null;
    }
    process.stdout.write(renderScale(rows, METHOD));
    return rows.some((r) => r.problem) ? 1 : 0;
  } finally {
    cleanup();
  }
}

process.exitCode = await main();
