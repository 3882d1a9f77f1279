// Runs `bin/tandem.js` as a real child process for integration tests, and reads what it said.
// No vitest import: engine code and benchmarks may use it too.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
function findRepoRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${start}`);
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));
export const CLI_PATH = path.join(REPO_ROOT, 'bin', 'tandem.js');

/** Why the CLI cannot run yet, or null when `bin/tandem.js` and the built CLI are there. */
export function cliMissingReason(): string | null {
  if (!fs.existsSync(CLI_PATH)) return `${CLI_PATH} is missing`;
  const built = path.join(REPO_ROOT, 'dist', 'electron', 'cli');
  if (!fs.existsSync(built) || fs.readdirSync(built).length === 0)
    return `${built} is empty: run npm run build`;
  return null;
}

export interface CliOptions {
  /** TANDEM_HOME: the state folder (index, pair registry) for this run */
  home: string;
  /** kill the run after this long and report timedOut (default 60 s) */
  timeoutMs?: number;
  env?: Record<string, string>;
  cwd?: string;
  /** run as another user (needs root); used to make chmod 000 effective when tests run as root */
  user?: { uid: number; gid: number };
  /** own process group, so a crash test can kill the run and anything it started */
  detached?: boolean;
}

export interface CliRun {
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

export function cliEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.FORCE_COLOR;
  env.TANDEM_HOME = home;
  env.XDG_STATE_HOME = path.join(home, 'xdg-state');
  env.NO_COLOR = '1';
  return env;
}

/** Starts `node bin/tandem.js …` with no terminal: stdin is a pipe that is closed at once. */
export function spawnCli(args: readonly string[], opts: CliOptions): ChildProcess {
  const env = cliEnv(opts.home, opts.env);
  if (opts.user) env.HOME = opts.home;
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: opts.cwd ?? os.tmpdir(),
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: opts.detached ?? false,
    ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
  });
  child.stdin?.end();
  return child;
}

/** Collects a spawned run's output and outcome. */
export function waitForCli(
  child: ChildProcess,
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<CliRun> {
  const started = performance.now();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => err.push(b));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        args: [...args],
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: performance.now() - started,
        timedOut,
      });
    });
  });
}

export function runCli(args: readonly string[], opts: CliOptions): Promise<CliRun> {
  return waitForCli(spawnCli(args, opts), args, opts.timeoutMs);
}

/** A run, shown for an assertion message. */
export function describeRun(run: CliRun): string {
  const cut = (s: string): string =>
    s.length > 2000 ? `${s.slice(0, 2000)}… (${s.length} chars)` : s;
  const how = run.timedOut
    ? 'timed out'
    : run.signal
      ? `killed by ${run.signal}`
      : `exit ${run.code}`;
  return `tandem ${run.args.map((a) => JSON.stringify(a)).join(' ')} → ${how} after ${Math.round(run.ms)} ms\n--- stderr:\n${cut(run.stderr)}\n--- stdout:\n${cut(run.stdout)}`;
}

/** Parses a `--json` run's stdout, with the whole run in the error when it is not JSON. */
export function parseJsonOutput<T>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch (e) {
    throw new Error(
      `stdout is not one JSON document: ${(e as Error).message}\n${describeRun(run)}`,
      { cause: e },
    );
  }
}

/** What is wrong with an error report: it must be one non-empty line and carry no stack trace. */
export function oneLineErrorProblems(stderr: string): string[] {
  const text = stderr.trim();
  const problems: string[] = [];
  if (text.length === 0) problems.push('stderr is empty');
  if (text.includes('\n')) problems.push(`stderr has ${text.split('\n').length} lines`);
  if (/^\s+at .+[:(]/m.test(stderr) || /\.(js|ts):\d+/.test(stderr))
    problems.push('stderr holds a stack trace');
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Building trees
