// `npm run bench`: Tandem against rsync and cp on seeded data under .bench-data/, one table of
// median wall time and bytes written per scenario and tool, then the issue's targets as PASS/FAIL.
import { mkdirSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, SCENARIOS, makeTools, parseConfig, type BenchConfig } from './config.js';
import { GIB, MIB, changedChunkBytes, planBigFile, planTree } from './data.js';
import { log } from './log.js';
import { canDropCaches, commandWorks, firstLine } from './measure.js';
import { evaluateTargets, formatBytes, renderTable, renderTargets, type Cell } from './report.js';
import { runBigFile, runTree, type BenchContext } from './scenarios.js';

/** Creates the run's data folder under the configured base, or under os.tmpdir() if that fails. */
function makeDataDir(cfg: BenchConfig): string {
  for (const base of [cfg.baseDir, join(tmpdir(), 'tandem-bench')]) {
    try {
      mkdirSync(base, { recursive: true });
      return mkdtempSync(join(base, 'run-'));
    } catch {
      // try the next place
    }
  }
  throw new Error(`cannot create a data folder under ${cfg.baseDir} or ${tmpdir()}`);
}

/** Peak disk use: the sources plus one target (+ Tandem's journal and versions) at a time. */
function neededBytes(cfg: BenchConfig): number {
  let n = 256 * MIB;
  if (cfg.only.has('a')) n += 2.1 * planBigFile(cfg.scale).size;
  if (['b', 'c', 'd'].some((s) => cfg.only.has(s as 'b')))
    n += 2.5 * planTree(cfg.scale).totalBytes;
  return n;
}

function main(): number {
  let cfg: BenchConfig;
  try {
    cfg = parseConfig(process.argv.slice(2), process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      log(`bench: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const dataDir = makeDataDir(cfg);
  const cleanup = (): void => rmSync(dataDir, { recursive: true, force: true });
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const fs = statfsSync(dataDir);
    const free = fs.bavail * fs.bsize;
    if (free < neededBytes(cfg)) {
      log(
        `bench: needs about ${formatBytes(neededBytes(cfg))} free in ${dataDir}, has ${formatBytes(free)}; try BENCH_SCALE=0.1`,
      );
      return 2;
    }
    const dropOk = canDropCaches();
    if (cfg.cold && !dropOk)
      log('bench: BENCH_COLD=1 but /proc/sys/vm/drop_caches is not writable here; running warm');
    const has = (cmd: string): boolean => commandWorks(cmd, ['--version']);
    const ctx: BenchContext = {
      cfg,
      tools: makeTools(cfg, has),
      dataDir,
      cold: cfg.cold && dropOk,
      cells: [],
      problems: [],
      log,
    };
    const scenarios = SCENARIOS.filter((s) => cfg.only.has(s));
    const header = [
      `Tandem benchmark — ${new Date().toISOString()}`,
      `node ${process.version}, Linux ${release()}, ${cpus().length} CPUs; ${firstLine('rsync', ['--version'])}; ${firstLine('cp', ['--version'])}`,
      `BENCH_SCALE=${cfg.scale} BENCH_RUNS=${cfg.runs} scenarios=${scenarios.join(',')}; data in ${dataDir}`,
      `cache: ${ctx.cold ? 'cold (page cache dropped before each measured run)' : `warm (drop_caches ${dropOk ? 'possible: BENCH_COLD=1' : 'not permitted here'})`}; dirty pages flushed (sync -f) before each measured run`,
      `tandem: ${ctx.tools[0]?.missing() ?? `node ${cfg.tandemBin}`}`,
    ].join('\n');
    log(header);
    let budget;
    if (cfg.only.has('a')) {
      const plan = runBigFile(ctx);
      const ch = changedChunkBytes(plan);
      budget = {
        chunkBytes: ch.bytes,
        chunks: ch.chunks,
        chunkSize: ch.chunkSize,
        slack: plan.size >= GIB / 4 ? MIB : 256 * 1024,
      };
    }
    if (scenarios.some((s) => s !== 'a')) runTree(ctx, cfg.only);
    const order = (c: Cell): number =>
      SCENARIOS.indexOf(c.scenario) * 10 + ctx.tools.findIndex((t) => t.id === c.tool);
    const cells = [...ctx.cells].sort((x, y) => order(x) - order(y));
    const out = [
      '',
      header,
      '',
      renderTable(cells),
      '',
      'bytes written = write_bytes of /proc/PID/io for the tool and every child it reaped (counted when a page is',
      'dirtied, in page/folio units; includes Tandem’s index in TANDEM_HOME and its .tandem/ journal and versions);',
      'wchar = bytes passed to write() calls, including pipes between rsync’s processes.',
      '',
      'Targets:',
      renderTargets(evaluateTargets(cells, scenarios, budget)),
    ];
    if (ctx.problems.length > 0) out.push('', 'Problems:', ...ctx.problems.map((p) => `- ${p}`));
    process.stdout.write(`${out.join('\n')}\n`);
    return cells.some((c) => c.status === 'failed') ? 1 : 0;
  } finally {
    cleanup();
  }
}

process.exitCode = main();
