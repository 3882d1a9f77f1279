// `npm run bench:twoway`: a two-way pair against Unison (`-batch -auto`), in one run (issue 13).
//
// Each tool has its own two folders, A and B, made from the same seeded tree (BENCH_TWOWAY_FILES
// files of 1–8 KiB in 100-file folders, default 20,000) and its own state folder (TANDEM_HOME,
// UNISON). The cases run in order on the same folders, each tool's step timed as a whole command:
//   (a) first sync, B empty: every file goes A → B
//   (b) nothing changed (the median of three runs)
//   (c) changes on both sides: edits on A, new files and deletions on B
//   (d) one file edited on both sides differently: a conflict; Tandem keeps both (the loser renamed
//       beside it), Unison -batch skips it; both then run once more to show a settled pair
// After each case both tools' A and B must be identical (diff -r, Tandem's .tandem left out).
//   (e) a same-size rewrite whose mtime lands exactly one hour from the synced one: a
//       correctness check (Unison allows an hour for daylight saving), timed too
// Exit 0 when every case left Tandem's A and B identical, 1 when one did not (a peer that ends
// apart is reported in its row), 2 when the bench could not run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KIB, MIB, planFolderTree, writeTree, type TreeFile } from './data.js';
import { log } from './log.js';
import { seededBytes } from './prng.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TANDEM = path.join(ROOT, 'bin', 'tandem.js');
const FILES = Number(process.env.BENCH_TWOWAY_FILES ?? '20000');

interface Run {
  seconds: number;
  ok: boolean;
  note?: string;
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, okCodes = [0]): Run {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * MIB, env });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const ok = r.status !== null && okCodes.includes(r.status);
  const last = (r.stderr || r.stdout || '').trim().split('\n').pop() ?? '';
  return { seconds, ok, ...(ok ? {} : { note: `exit ${r.status}: ${last}` }) };
}

function identical(a: string, b: string): boolean {
  const r = spawnSync('diff', ['-r', '-q', '-x', '.tandem', a, b], { encoding: 'utf8' });
  if (r.status !== 0)
    log(
      `bench:twoway: ${a} and ${b} differ: ${r.stdout.trim().split('\n').slice(0, 3).join('; ')}`,
    );
  return r.status === 0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
}

class Tool {
  readonly a: string;
  readonly b: string;
  constructor(
    readonly name: 'tandem' | 'unison',
    base: string,
    private readonly state: string,
  ) {
    this.a = path.join(base, name, 'A');
    this.b = path.join(base, name, 'B');
    fs.mkdirSync(this.state, { recursive: true });
  }

  /** One sync. A Unison run that skipped a conflict exits 1; that is its answer, not a failure. */
  sync(expectConflict = false): Run {
    if (this.name === 'tandem') {
      const args = [TANDEM, 'sync', '--two-way', this.a, this.b, '--yes', '--json'];
      if (expectConflict) args.push('--conflict', 'keep-both');
      return timed(process.execPath, args, { ...process.env, TANDEM_HOME: this.state });
    }
    return timed(
      'unison',
      [this.a, this.b, '-batch', '-auto', '-silent', '-confirmbigdel=false'],
      { ...process.env, UNISON: this.state },
      expectConflict ? [0, 1] : [0],
    );
  }
}

async function main(): Promise<number> {
  if (spawnSync('unison', ['-version']).status !== 0) {
    log('bench:twoway: needs unison (apt-get install unison)');
    return 2;
  }
  if (!fs.existsSync(TANDEM)) {
    log('bench:twoway: needs the built CLI (npm run build)');
    return 2;
  }
  const base = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'tandem-twoway-'));
  process.on('SIGINT', () => {
    fs.rmSync(base, { recursive: true, force: true });
    process.exit(130);
  });
  try {
    const plan = planFolderTree(FILES, 50);
    const tools = [
      new Tool('tandem', base, path.join(base, 'state-tandem')),
      new Tool('unison', base, path.join(base, 'state-unison')),
    ];
    log(`bench:twoway: writing ${plan.files.length} files twice`);
    for (const t of tools) {
      writeTree(t.a, plan);
      fs.mkdirSync(t.b, { recursive: true });
    }
    const rows: {
      id: string;
      tool: string;
      seconds: number;
      ok: boolean;
      same: boolean;
      note?: string;
    }[] = [];
    const step = (id: string, t: Tool, runs: Run[], after?: Run) => {
      const bad = [...runs, ...(after ? [after] : [])].find((r) => !r.ok);
      const same = identical(t.a, t.b);
      rows.push({
        id,
        tool: t.name,
        seconds: median(runs.map((r) => r.seconds)),
        ok: !bad,
        same,
        ...(bad?.note ? { note: bad.note } : {}),
      });
      log(`bench:twoway: (${id}) ${t.name} ${rows.at(-1)!.seconds.toFixed(2)} s`);
    };

    for (const t of tools) step('a', t, [t.sync()]);
    for (const t of tools) step('b', t, [t.sync(), t.sync(), t.sync()]);

    // Files no case has touched yet: some to delete in (c), one to edit on both sides in (d),
    // one to rewrite in (e), each still as writeTree left it (mtime T0, whole seconds).
    const untouched = plan.files.filter((_, i) => !plan.mods.some((m) => m.index === i));
    const deletions = Math.ceil(plan.mods.length / 10);
    const deleted = untouched.slice(0, deletions);
    const victim = untouched[deletions]!.rel;
    const restored = untouched[deletions + 1]!.rel;

    // (c): the planned edits on A; as many new files on B; a tenth as many deletions on B.
    for (const t of tools) {
      for (const m of plan.mods) {
        const p = path.join(t.a, (plan.files[m.index] as TreeFile).rel);
        fs.writeFileSync(p, seededBytes(m.seed, m.size)); // mtime now, as an editor leaves it
      }
      plan.mods.forEach((m, i) => {
        fs.writeFileSync(
          path.join(t.b, plan.dirs[i % plan.dirs.length]!, `new-${i}.txt`),
          seededBytes(`twoway/new/${i}`, 4 * KIB),
        );
      });
      for (const f of deleted) fs.rmSync(path.join(t.b, f.rel));
    }
    for (const t of tools) step('c', t, [t.sync()]);

    // (d): the same file edited on both sides, differently.
    for (const t of tools) {
      fs.writeFileSync(path.join(t.a, victim), 'edited on A\n');
      fs.writeFileSync(path.join(t.b, victim), 'edited on B, longer\n');
    }
    for (const t of tools) {
      const r = t.sync(true);
      // Unison -batch leaves the conflict; settle it as a person would (keep A's). Tandem's second
      // run must find nothing to do. Either way A and B must then be the same.
      if (t.name === 'unison') fs.copyFileSync(path.join(t.a, victim), path.join(t.b, victim));
      const settle = t.sync();
      step('d', t, [r], settle);
    }

    // (e): a same-size rewrite in place whose mtime ends exactly one hour from the synced one (a
    // copy made with `cp -p` on a clock an hour off; FAT and daylight saving give the same).
    for (const t of tools) {
      const p = path.join(t.a, restored);
      const st = fs.statSync(p);
      fs.writeFileSync(p, seededBytes('twoway/restored', st.size));
      const hourOn = st.mtimeMs / 1000 + 3600;
      fs.utimesSync(p, hourOn, hourOn);
    }
    for (const t of tools) step('e', t, [t.sync()]);

    const titles: Record<string, string> = {
      a: `(a) first sync, ${plan.files.length} files A → B`,
      b: `(b) ${plan.files.length} files, nothing changed (median of 3)`,
      c: `(c) ${plan.mods.length} edits on A, ${plan.mods.length} new and ${deletions} deleted on B`,
      d: '(d) one file edited on both sides',
      e: '(e) one same-size rewrite, mtime one hour on',
    };
    const lines = [
      `unison: ${spawnSync('unison', ['-version'], { encoding: 'utf8' }).stdout.trim()}, -batch -auto; Tandem: sync --two-way --yes (--conflict keep-both in d)`,
      '',
      '| case | tool | wall s | identical after | ratio to unison |',
      '|---|---|---:|---|---:|',
    ];
    let failed = 0;
    for (const r of rows) {
      const peer = rows.find((x) => x.id === r.id && x.tool === 'unison')!;
      const same = r.same;
      // The exit code is Tandem's; a peer that ends apart is reported in its row, not failed.
      if (r.tool === 'tandem' && !(r.ok && same)) failed++;
      lines.push(
        `| ${titles[r.id]} | ${r.tool} | ${r.seconds.toFixed(2)} | ${r.ok && same ? 'yes' : `NO${r.note ? ` (${r.note})` : ''}`} | ${r.tool === 'tandem' ? `${(r.seconds / peer.seconds).toFixed(2)}×` : ''} |`,
      );
    }
    lines.push(
      '',
      "In (d) the time is the run that meets the conflict. Unison -batch skips it and leaves both copies apart (A's is then copied to B by hand and Unison run again); Tandem keeps both, the loser renamed, on both sides.",
      'In (e) Unison takes mtimes exactly an hour apart as equal (its daylight-saving allowance), so with the inode and size kept its fast check calls the file unchanged and the edit stays on A; Tandem hashes any entry whose size or mtime moved at all.',
    );
    process.stdout.write(`${lines.join('\n')}\n`);
    return failed ? 1 : 0;
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    log(`bench:twoway: ${(e as Error).message}`);
    process.exit(2);
  },
);
