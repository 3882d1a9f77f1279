// `npm run bench:remote`: a remote pair against rsync over ssh, on one link, in one run (issue 12).
//
// As root (CI, this machine), the far side's sshd runs in a network namespace of its own behind a
// veth pair whose both ends are rate-limited with `tc … tbf` (BENCH_REMOTE_RATE, default
// 20mbit); the bytes on the wire are the veth's own counters (ssh's encryption and framing
// included, the same measure for every tool). Elsewhere it runs over loopback, unlimited, and
// counts each tool's own figures (Tandem's --json `wire`, rsync's --stats).
//
// Cases (BENCH_SCALE scales the sizes): (a) 1 GiB file, three 4 KiB edits; (b) 256 MiB file, 100
// bytes inserted near the start; (c) 20,000 files of 1–64 KiB, 50 rewritten; (d) nothing changed.
// Each tool has its own far target, copied there first over the unlimited link. Case (b) also runs
// `tandem --chunking fixed` (rsync's blocks for the moved file, not content-defined chunks).
// BENCH_REMOTE_CASES=a,b runs some of the cases only. BENCH_REMOTE_PULL=1 runs them as pulls:
// the sources addressed on the far side, the targets here (`tandem sync host:SRC DST`, `rsync -a
// host:SRC/ DST/`).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSshd, sshdUnavailableReason, type SshdHandle } from '../electron/testing/sshd.js';
import { slowLinkSkipReason, SlowLink } from '../electron/testing/slowLink.js';
import {
  GIB,
  KIB,
  MIB,
  applyBigMods,
  applyTreeMods,
  planBigFile,
  planTree,
  writeBigFile,
  writeTree,
} from './data.js';
import { log } from './log.js';
import { seededBytes } from './prng.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TANDEM = path.join(ROOT, 'bin', 'tandem.js');
const SCALE = Number(process.env.BENCH_SCALE ?? '1');
const RATE = process.env.BENCH_REMOTE_RATE ?? '20mbit';
/** which cases to run (BENCH_REMOTE_CASES=a,b; default all) */
const CASES = new Set((process.env.BENCH_REMOTE_CASES ?? 'a,b,c,d').split(','));
/** pulls instead of pushes (BENCH_REMOTE_PULL=1) */
const PULL = process.env.BENCH_REMOTE_PULL === '1';

interface Measured {
  seconds: number;
  wire: number;
  ok: boolean;
  note?: string;
}

function sh(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}) {
  return spawnSync(cmd, args, {
    encoding: 'utf8',
    maxBuffer: 256 * MIB,
    env: opts.env ?? process.env,
  });
}

class Bench {
  constructor(
    private readonly sshd: SshdHandle,
    private readonly home: string,
    private readonly link: SlowLink | null,
  ) {}

  private wireBytes(): number {
    return this.link?.bytes() ?? 0;
  }

  private ssh(): string {
    return `ssh -F ${this.sshd.configFile}`;
  }

  tandem(src: string, far: string, extra: string[] = []): Measured {
    const before = this.wireBytes();
    const t0 = process.hrtime.bigint();
    const r = sh(
      process.execPath,
      [
        TANDEM,
        'sync',
        ...(PULL ? [`${this.sshd.host}:${src}`, far] : [src, `${this.sshd.host}:${far}`]),
        '--yes',
        '--json',
        ...extra,
        '-e',
        this.ssh(),
        '--remote-tandem',
        TANDEM,
      ],
      { env: { ...process.env, TANDEM_HOME: this.home } },
    );
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    let wire = 0;
    try {
      const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as {
        wire?: { out: number; in: number };
      };
      wire = (out.wire?.out ?? 0) + (out.wire?.in ?? 0);
    } catch {
      /* an error is reported below */
    }
    if (this.link) wire = this.wireBytes() - before;
    return {
      seconds,
      wire,
      ok: r.status === 0,
      ...(r.status !== 0 ? { note: r.stderr.trim().split('\n').pop() ?? '' } : {}),
    };
  }

  rsync(src: string, far: string, extra: string[] = []): Measured {
    const before = this.wireBytes();
    const t0 = process.hrtime.bigint();
    const r = sh('rsync', [
      '-a',
      '--stats',
      ...extra,
      '-e',
      this.ssh(),
      ...(PULL
        ? [`${this.sshd.host}:${src}/`, `${far}/`]
        : [`${src}/`, `${this.sshd.host}:${far}/`]),
    ]);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const num = (label: string) =>
      Number(new RegExp(`${label}: ([\\d,]+)`).exec(r.stdout)?.[1]?.replace(/,/g, '') ?? 0);
    const wire = this.link
      ? this.wireBytes() - before
      : num('Total bytes sent') + num('Total bytes received');
    return {
      seconds,
      wire,
      ok: r.status === 0,
      ...(r.status !== 0 ? { note: r.stderr.trim().split('\n').pop() ?? '' } : {}),
    };
  }
}

function insertNearStart(file: string, at: number, bytes: Buffer): void {
  const data = fs.readFileSync(file);
  fs.writeFileSync(file, Buffer.concat([data.subarray(0, at), bytes, data.subarray(at)]));
}

function fmtBytes(n: number): string {
  if (n >= GIB) return `${(n / GIB).toFixed(2)} GiB`;
  if (n >= MIB) return `${(n / MIB).toFixed(1)} MiB`;
  if (n >= KIB) return `${(n / KIB).toFixed(1)} KiB`;
  return `${n} B`;
}

function sameTree(a: string, b: string): boolean {
  return sh('diff', ['-r', '-x', '.tandem', a, b]).status === 0;
}

async function main(): Promise<number> {
  const why = sshdUnavailableReason();
  if (why) {
    log(`bench:remote: cannot start sshd: ${why}`);
    return 2;
  }
  if (sh('rsync', ['--version']).status !== 0) {
    log('bench:remote: needs rsync (apt-get install rsync)');
    return 2;
  }
  const base = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'tandem-remote-'));
  let link: SlowLink | null = null;
  let sshd: SshdHandle | null = null;
  const cleanup = async () => {
    await sshd?.stop();
    link?.drop();
    fs.rmSync(base, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    link = slowLinkSkipReason() === null ? SlowLink.make(`tandem-bench-${process.pid}`) : null;
    const namespaced = link !== null;
    sshd = await startSshd(link ? link.sshdOptions() : {});
    log(
      namespaced
        ? `bench:remote: sshd in network namespace ${link!.name}, link limited to ${RATE} both ways once the targets are copied`
        : 'bench:remote: not root: over loopback, unlimited, bytes as each tool counts them',
    );
    const home = path.join(base, 'home');
    const bench = new Bench(sshd, home, link);
    const src = path.join(base, 'src');
    const far = path.join(base, 'far');
    fs.mkdirSync(far);
    const big = planBigFile(SCALE);
    const mid = { name: 'mid.bin', size: Math.round((256 * MIB * SCALE) / (4 * KIB)) * 4 * KIB };
    const tree = planTree(SCALE);
    log(
      `bench:remote: writing ${fmtBytes(big.size)}, ${fmtBytes(mid.size)} and ${tree.files.length} files`,
    );
    writeBigFile(path.join(src, 'a'), big);
    fs.mkdirSync(path.join(src, 'b'));
    writeBigFile(path.join(src, 'b'), { name: mid.name, size: mid.size, regions: [] });
    writeTree(path.join(src, 'c'), tree);

    const tools = {
      tandem: (c: string) => bench.tandem(path.join(src, c), path.join(far, `tandem-${c}`)),
      // rsync's blocks instead of content-defined chunks for a moved file's delta
      'tandem --chunking fixed': (c: string) =>
        bench.tandem(path.join(src, c), path.join(far, `fixed-${c}`), ['--chunking', 'fixed']),
      rsync: (c: string) => bench.rsync(path.join(src, c), path.join(far, `rsync-${c}`)),
      'rsync --inplace': (c: string) =>
        bench.rsync(path.join(src, c), path.join(far, `inplace-${c}`), [
          '--inplace',
          '--no-whole-file',
        ]),
    };
    const casesFor: Record<string, (keyof typeof tools)[]> = {
      a: ['tandem', 'rsync', 'rsync --inplace'],
      b: ['tandem', 'tandem --chunking fixed', 'rsync', 'rsync --inplace'],
      c: ['tandem', 'rsync'],
    };
    log('bench:remote: first copies (unlimited link)');
    for (const [c, list] of Object.entries(casesFor))
      for (const t of list) {
        if (!CASES.has(c) && !(c === 'c' && CASES.has('d'))) continue;
        const m = tools[t](c);
        if (!m.ok) throw new Error(`first copy of (${c}) by ${t} failed: ${m.note}`);
      }
    link?.limit(RATE);

    const rows: { id: string; tool: string; m: Measured; identical: boolean }[] = [];
    const run = (id: string, dir: string, list: (keyof typeof tools)[]) => {
      if (!CASES.has(id)) return;
      for (const t of list) {
        log(`bench:remote: (${id}) ${t}`);
        // Dirty pages of the copies before are written out first: an fsync (Tandem makes what it
        // writes durable, rsync does not) would otherwise wait for them, in whichever tool ran first.
        sh('sync', []);
        const m = tools[t](dir);
        const target = path.join(
          far,
          `${{ tandem: 'tandem', 'tandem --chunking fixed': 'fixed', rsync: 'rsync', 'rsync --inplace': 'inplace' }[t]}-${dir}`,
        );
        rows.push({ id, tool: t, m, identical: sameTree(path.join(src, dir), target) });
      }
    };
    applyBigMods(path.join(src, 'a'), big);
    run('a', 'a', casesFor.a!);
    insertNearStart(path.join(src, 'b', mid.name), 4096 + 17, seededBytes('remote/insert', 100));
    run('b', 'b', casesFor.b!);
    applyTreeMods(path.join(src, 'c'), tree);
    run('c', 'c', casesFor.c!);
    run('d', 'c', casesFor.c!);

    const titles: Record<string, string> = {
      a: `(a) ${fmtBytes(big.size)} file, three 4 KiB edits`,
      b: `(b) ${fmtBytes(mid.size)} file, 100 B inserted near the start`,
      c: `(c) ${tree.files.length} files, ${tree.mods.length} rewritten`,
      d: `(d) ${tree.files.length} files, nothing changed`,
    };
    const lines = [
      `direction: ${PULL ? 'pull (the sources on the far side)' : 'push (the targets on the far side)'}`,
      `link: ${namespaced ? `veth, tbf ${RATE} each way, bytes counted on the veth` : 'loopback, unlimited, bytes as each tool counts them'}`,
      '',
      '| case | tool | wall s | bytes on the wire | identical |',
      '|---|---|---:|---:|---|',
    ];
    for (const r of rows)
      lines.push(
        `| ${titles[r.id]} | ${r.tool} | ${r.m.seconds.toFixed(2)} | ${fmtBytes(r.m.wire)} | ${r.identical && r.m.ok ? 'yes' : `NO${r.m.note ? ` (${r.m.note})` : ''}`} |`,
      );
    lines.push(
      '',
      'goals (issue 12): bytes ≤ rsync in (a), (c), (d), ≤ 2× in (b); time ≤ rsync in all',
    );
    let failed = 0;
    for (const id of ['a', 'b', 'c', 'd'].filter((c) => CASES.has(c))) {
      const mine = rows.find((r) => r.id === id && r.tool === 'tandem')!.m;
      const peers = rows.filter((r) => r.id === id && !r.tool.startsWith('tandem'));
      const best = (k: 'wire' | 'seconds') => Math.min(...peers.map((p) => p.m[k]));
      const bytesGoal = id === 'b' ? 2 : 1;
      const bytesRatio = mine.wire / best('wire');
      const timeRatio = mine.seconds / best('seconds');
      const pass = bytesRatio <= bytesGoal && timeRatio <= 1;
      if (!pass) failed++;
      lines.push(
        `${pass ? 'PASS' : 'FAIL'} (${id}): bytes ${bytesRatio.toFixed(2)}× the best rsync (goal ≤ ${bytesGoal}×), time ${timeRatio.toFixed(2)}× (goal ≤ 1×)`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return failed ? 1 : 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    log(`bench:remote: ${(e as Error).message}`);
    process.exit(2);
  },
);
