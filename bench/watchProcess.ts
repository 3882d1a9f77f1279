// `tandem watch --auto` as a child process, for the benchmarks: its output lines as they arrive,
// its resident memory and CPU time from /proc, its cycles from the service's log, and a stop that
// makes sure it has exited.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { REPO_ROOT } from './config.js';
import { log } from './log.js';
import { procCpuSeconds, procMemory, type ProcMemory } from './measure.js';
import { formatBytes } from './report.js';
import { secs, type CycleTimes } from './scaleReport.js';

const BIN = path.join(REPO_ROOT, 'bin', 'tandem.js');
const STOP_TIMEOUT_MS = 60_000;
/** A cycle is over once the service has used less than this share of a core for a second. */
const QUIET_CPU = 0.05;

export interface WatchOptions {
  /** names the process in progress lines */
  label: string;
  source: string;
  target: string;
  /** its TANDEM_HOME */
  home: string;
  /** resident bytes past which it is killed (a shared machine must not run out of memory) */
  maxRss: number;
  /** how long a wait for a line, or for the service to go quiet, may take */
  timeoutMs: number;
  /** hears each sample of its memory (every second), so a run cut short still has its peak */
  onSample?: (m: ProcMemory) => void;
}

export interface Line {
  /** performance.now() when the line arrived */
  at: number;
  text: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every child process still running, so that Ctrl-C can stop them before the data goes. */
export const children = new Set<ChildProcess>();

export class WatchProcess {
  readonly pid: number;
  readonly startedAt = performance.now();
  readonly lines: Line[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private readonly sampler: NodeJS.Timeout;
  private exit: string | null = null;
  private overLimit: string | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly o: WatchOptions) {
    this.child = spawn(process.execPath, [BIN, 'watch', o.source, o.target, '--auto'], {
      env: { ...process.env, TANDEM_HOME: o.home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (this.child.pid === undefined) throw new Error('cannot start tandem watch');
    this.pid = this.child.pid;
    children.add(this.child);
    for (const stream of [this.child.stdout!, this.child.stderr!])
      readline.createInterface({ input: stream }).on('line', (text) => {
        this.lines.push({ at: performance.now(), text });
        log(`    tandem: ${text}`);
        this.wake?.();
      });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        this.exit = signal ? `killed by ${signal}` : `exit ${code}`;
        children.delete(this.child);
        clearInterval(this.sampler);
        this.wake?.();
        resolve();
      }),
    );
    let beat = 0;
    this.sampler = setInterval(() => {
      try {
        const m = procMemory(this.pid);
        o.onSample?.(m);
        if (m.rss > o.maxRss && !this.overLimit) {
          this.overLimit = `resident memory reached ${formatBytes(m.rss)}, over the ceiling of ${formatBytes(o.maxRss)} (BENCH_SCALE_MAX_RSS_MB): killed`;
          this.child.kill('SIGKILL');
        }
        if (++beat % 30 === 0)
          log(
            `  ${o.label}: ${secs(performance.now() - this.startedAt)} in, resident ${formatBytes(m.rss)}, CPU ${procCpuSeconds(this.pid).toFixed(0)} s`,
          );
      } catch {
        // exited between two samples
      }
    }, 1_000);
  }

  /** Why the service can no longer be measured, or null while it runs. */
  gone(): string | null {
    return this.overLimit ?? (this.exit ? `tandem watch ended (${this.exit})` : null);
  }

  /** The first output line matching `re`; a line matching `fail` ends the wait with an error. */
  async line(re: RegExp, what: string, fail?: RegExp): Promise<Line> {
    const deadline = performance.now() + this.o.timeoutMs;
    for (;;) {
      const hit = this.lines.find((l) => re.test(l.text));
      if (hit) return hit;
      const bad = fail && this.lines.find((l) => fail.test(l.text));
      if (bad) throw new Error(`before ${what}: ${bad.text}`);
      const gone = this.gone();
      if (gone) throw new Error(`${gone} before ${what}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no ${what} within ${secs(this.o.timeoutMs)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1_000));
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** Waits until a whole second passes with the service nearly idle: its cycles are over. */
  async quiet(): Promise<void> {
    const deadline = performance.now() + this.o.timeoutMs;
    for (let cpu = procCpuSeconds(this.pid); ;) {
      await sleep(1_000);
      const gone = this.gone();
      if (gone) throw new Error(gone);
      const now = procCpuSeconds(this.pid);
      if (now - cpu < QUIET_CPU) return;
      if (performance.now() > deadline)
        throw new Error(`still busy after ${secs(this.o.timeoutMs)}`);
      cpu = now;
    }
  }

  /** The cycles this process logged ($TANDEM_HOME/logs/tandem.log, a JSON line each). */
  cycles(): CycleTimes[] {
    const file = path.join(this.o.home, 'logs', 'tandem.log');
    if (!fs.existsSync(file)) return [];
    const out: CycleTimes[] = [];
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line.includes('"msg":"cycle"')) continue;
      const rec = JSON.parse(line) as { pid: number; ms: CycleTimes };
      if (rec.pid === this.pid) out.push(rec.ms);
    }
    return out;
  }

  /** SIGINT, as Ctrl-C would; SIGKILL if it has not exited a minute later. Returns a problem. */
  async stop(): Promise<string | null> {
    if (this.gone()) return null;
    this.child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), STOP_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (!ended) {
      this.child.kill('SIGKILL');
      await this.exited;
      return `did not exit within ${secs(STOP_TIMEOUT_MS)} of SIGINT (killed)`;
    }
    return this.exit === 'exit 0' ? null : `stopped with ${this.exit}`;
  }
}
