// The stale-lock takeover race, with real processes on real files: one process is stopped right
// after judging a lock stale, another takes the lock meanwhile, and the first must then find the
// pair busy instead of taking the lock from under it. Runs the compiled module (`npm run build`).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../testing/cliRunner.js';
import { makeSandbox, mkfifo, STATE_DIR, type Sandbox } from '../../testing/sandbox.js';
import { NodeTargetFs } from '../core/target/targetFs.js';
import { acquirePairLock } from './pairLock.js';

const BUILT = path.join(REPO_ROOT, 'dist', 'electron', 'engine');
const modules = ['pair/pairLock.js', 'core/target/targetFs.js'].map(
  (m) => pathToFileURL(path.join(BUILT, m)).href,
);

// A lock holder in its own process. Roles: `crash` takes the lock and exits without releasing it
// (leaving a stale lock); `judge` stops after judging a lock stale until its fifo is opened;
// `hold` keeps the lock until its fifo is opened. Each prints what happened, a line at a time.
const CHILD = `
import fs from 'node:fs';
const [lockModule, targetFsModule, root, role, fifo] = process.argv.slice(2);
const { acquirePairLock, PairBusyError } = await import(lockModule);
const { NodeTargetFs } = await import(targetFsModule);
const t = new NodeTargetFs(root);
const say = (s) => fs.writeSync(1, s + '\\n');
const waitForFifo = () => fs.closeSync(fs.openSync(fifo, 'r'));
let release;
try {
  release = acquirePairLock(t, role === 'judge' ? { onStaleJudged: () => { say('judged'); waitForFifo(); } } : {});
} catch (e) {
  say(e instanceof PairBusyError ? 'busy ' + e.pid : 'error ' + e.message);
  process.exit(0);
}
say('held ' + process.pid);
if (role === 'crash') process.exit(0);
if (role === 'hold') waitForFifo();
release();
say('released');
`;

class Child {
  readonly proc: ChildProcess;
  private buf = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | null = null;
  private exited = false;

  constructor(script: string, args: string[]) {
    this.proc = spawn(process.execPath, [script, ...modules, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.proc.stdout!.on('data', (b: Buffer) => {
      this.buf += b.toString();
      let nl;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, nl));
        this.buf = this.buf.slice(nl + 1);
      }
      this.waiter?.();
    });
    this.proc.on('exit', () => {
      this.exited = true;
      this.waiter?.();
    });
  }

  /** The next line it prints (or null once it exited without one). */
  async next(): Promise<string | null> {
    while (this.lines.length === 0 && !this.exited)
      await new Promise<void>((resolve) => (this.waiter = resolve));
    this.waiter = null;
    return this.lines.shift() ?? null;
  }

  exit(): Promise<void> {
    return this.exited ? Promise.resolve() : new Promise((r) => this.proc.once('exit', () => r()));
  }
}

let sb: Sandbox;
let script: string;
let children: Child[] = [];
beforeAll(() => {
  for (const m of modules)
    if (!fs.existsSync(new URL(m))) throw new Error(`${m} is missing: run npm run build first`);
});
beforeEach(() => {
  sb = makeSandbox('lock-race');
  fs.mkdirSync(path.join(sb.target, STATE_DIR));
  script = path.join(sb.base, 'holder.mjs');
  fs.writeFileSync(script, CHILD);
  children = [];
});
afterEach(async () => {
  for (const c of children) c.proc.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exit()));
  sb.cleanup();
});

function start(role: string, fifo = ''): Child {
  const c = new Child(script, [sb.target, role, fifo]);
  children.push(c);
  return c;
}

/** Lets a child stopped at its fifo go on. */
async function open(fifo: string): Promise<void> {
  await (await fs.promises.open(fifo, 'w')).close();
}

describe('stale lock takeover', () => {
  it('never lets two processes hold the lock, when another takes it between judging it stale and taking it over', async () => {
    const crashed = start('crash');
    expect(await crashed.next()).toMatch(/^held \d+$/);
    await crashed.exit(); // its lock stays behind, its pid is gone: stale

    const judgeGo = path.join(sb.base, 'judge.fifo');
    const holdGo = path.join(sb.base, 'hold.fifo');
    mkfifo(judgeGo);
    mkfifo(holdGo);
    const judge = start('judge', judgeGo);
    expect(await judge.next()).toBe('judged');

    const holder = start('hold', holdGo);
    const held = await holder.next();
    expect(held).toMatch(/^held \d+$/);

    // The judge goes on while the holder still holds the lock: it must find the pair busy.
    await open(judgeGo);
    expect(await judge.next()).toBe(`busy ${held!.split(' ')[1]}`);

    await open(holdGo);
    expect(await holder.next()).toBe('released');
    acquirePairLock(new NodeTargetFs(sb.target))();
  });
});
