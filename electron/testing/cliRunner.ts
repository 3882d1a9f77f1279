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

/**
 * Writes into `dir` a far `tandem` (for `--remote-tandem`) that is this checkout's server offering
 * protocols 1–`max` only, as a release before the later ones would; returns its path.
 */
export function writeOlderTandem(dir: string, max: number): string {
  const file = path.join(dir, `tandem-protocol-${max}.mjs`);
  const dist = (rel: string) => JSON.stringify(path.join(REPO_ROOT, 'dist', rel));
  fs.writeFileSync(
    file,
    [
      '#!/usr/bin/env node',
      `const { runServer } = await import(${dist('electron/engine/remote/server.js')});`,
      `const { appVersion } = await import(${dist('electron/engine/core/runtime/appVersion.js')});`,
      'process.exitCode = await runServer(process.stdin, process.stdout, {',
      '  version: appVersion(),',
      `  range: { min: 1, max: ${max} },`,
      '});',
    ].join('\n'),
    { mode: 0o755 },
  );
  return file;
}

export interface CliOptions {
  /** TANDEM_HOME: the state folder (index, pair registry) for this run */
  home: string;
  /** kill the run after this long and report timedOut (default 60 s) */
  timeoutMs?: number;
  env?: Record<string, string>;
  cwd?: string;
  /**
   * make file permissions bind even when the tests run as root (a chmod 000 entry is then
   * unreadable to the CLI, as it is to a user): see `permissionBindingPrefix`
   */
  honourPermissions?: boolean;
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

/**
 * The command that runs before `node` so that file permissions bind the CLI: none for a user;
 * for root, setpriv dropping CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (the two capabilities that
 * let root read, list and enter anything) from the bounding and inheritable sets, so the exec'd
 * node holds neither.
 *
 * Why not run as `nobody`, as these tests once did: `nobody` must then be able to reach the
 * checkout, and a clone below a folder only root may enter (root's home is 0700 on Debian) failed
 * with "Cannot find module …/bin/tandem.js". Root without the two capabilities is still the owner
 * of the checkout and of the sandbox, so both stay open to it through their owner bits, while an
 * entry chmod 000 is closed to it as it is to any user. setpriv execs in place, so the child's pid
 * is node's (a crash test can still kill it by pid).
 */
export function permissionBindingPrefix(): string[] {
  if (process.getuid?.() !== 0) return [];
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv'].find((p) =>
    fs.existsSync(p),
  );
  if (!setpriv)
    throw new Error(
      "these tests run as root and need setpriv (util-linux) to run the CLI without root's " +
        'permission override: install util-linux, or run the tests as a normal user',
    );
  const caps = '-dac_override,-dac_read_search';
  return [setpriv, `--bounding-set=${caps}`, `--inh-caps=${caps}`, '--'];
}

/** Starts `node bin/tandem.js …` with no terminal: stdin is a pipe that is closed at once. */
export function spawnCli(args: readonly string[], opts: CliOptions): ChildProcess {
  const env = cliEnv(opts.home, opts.env);
  const [cmd, ...argv] = [
    ...(opts.honourPermissions ? permissionBindingPrefix() : []),
    process.execPath,
    CLI_PATH,
    ...args,
  ];
  const child = spawn(cmd!, argv, {
    cwd: opts.cwd ?? os.tmpdir(),
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: opts.detached ?? false,
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
