// Measuring one tool run: wall time, and the bytes it wrote as the kernel counts them in
// /proc/PID/io (a wrapping shell's counters include its reaped children: rsync's forks, workers);
// and a running process: its resident memory and CPU time from /proc/PID/status and stat.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';

/** The fields of /proc/PID/io (see proc(5)); a field the kernel did not print is undefined. */
export interface ProcIo {
  rchar?: number;
  wchar?: number;
  syscr?: number;
  syscw?: number;
  read_bytes?: number;
  write_bytes?: number;
  cancelled_write_bytes?: number;
}

const IO_FIELDS = new Set([
  'rchar',
  'wchar',
  'syscr',
  'syscw',
  'read_bytes',
  'write_bytes',
  'cancelled_write_bytes',
]);

/** Parses the text of /proc/PID/io; unknown or malformed lines are ignored. */
export function parseProcIo(text: string): ProcIo {
  const io: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([a-z_]+):\s*(\d+)\s*$/.exec(line);
    if (m && IO_FIELDS.has(m[1] as string)) io[m[1] as string] = Number(m[2]);
  }
  return io as ProcIo;
}

/** Bytes written to storage: write_bytes (counted when pages are dirtied), else wchar as a fallback. */
export function bytesWritten(io: ProcIo): {
  bytes: number | undefined;
  column: 'write_bytes' | 'wchar' | 'none';
} {
  if (io.write_bytes !== undefined) return { bytes: io.write_bytes, column: 'write_bytes' };
  if (io.wchar !== undefined) return { bytes: io.wchar, column: 'wchar' };
  return { bytes: undefined, column: 'none' };
}

/** Resident memory of a process, in bytes: now (VmRSS) and the most it has held (VmHWM). */
export interface ProcMemory {
  rss: number;
  peak: number;
}

/** Parses the text of /proc/PID/status (all threads share one figure); undefined without both. */
export function parseProcStatus(text: string): ProcMemory | undefined {
  const kib = (field: string): number | undefined => {
    const m = new RegExp(`^${field}:\\s*(\\d+) kB$`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const rss = kib('VmRSS');
  const peak = kib('VmHWM');
  return rss === undefined || peak === undefined ? undefined : { rss, peak };
}

/** CPU time of all a process's threads, in clock ticks: utime + stime of /proc/PID/stat. */
export function parseProcStatTicks(text: string): number {
  // Field 2, the command, is in parentheses and may hold spaces and ')': count from the last ')'.
  // What follows starts at field 3 (state); utime and stime are fields 14 and 15.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isInteger(ticks)) throw new Error(`cannot read utime and stime from '${text}'`);
  return ticks;
}

export function procMemory(pid: number): ProcMemory {
  const m = parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`/proc/${pid}/status has no VmRSS and VmHWM`);
  return m;
}

let clockTicks: number | undefined;

/** CPU seconds process `pid` has used so far (its own threads, not its reaped children). */
export function procCpuSeconds(pid: number): number {
  clockTicks ??= Number(firstLine('getconf', ['CLK_TCK'])) || 100;
  return parseProcStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / clockTicks;
}

/** Median of a non-empty list (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export interface RunResult {
  wallS: number;
  exitCode: number;
  io: ProcIo;
  stdout: string;
  stderr: string;
}

/**
 * Runs argv under `sh -c` that, once the tool has exited and been reaped, copies the shell's own
 * /proc/$$/io (which then includes the tool and all its descendants) to `ioFile`.
 */
export function runMeasured(
  argv: readonly string[],
  ioFile: string,
  env: NodeJS.ProcessEnv = process.env,
): RunResult {
  rmSync(ioFile, { force: true });
  const script = 'out=$1; shift; "$@"; rc=$?; cat /proc/$$/io >"$out"; exit $rc';
  const t0 = performance.now();
  const r = spawnSync('sh', ['-c', script, 'sh', ioFile, ...argv], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    encoding: 'utf8',
  });
  const wallS = (performance.now() - t0) / 1000;
  if (r.error) throw r.error;
  let io: ProcIo = {};
  try {
    io = parseProcIo(readFileSync(ioFile, 'utf8'));
  } catch {
    // no /proc io accounting: leave the counters empty, the table shows "n/a"
  }
  return { wallS, exitCode: r.status ?? 128, io, stdout: r.stdout, stderr: r.stderr };
}

/** Flushes dirty pages of the filesystem holding `path`, so the next measurement starts clean. */
export function flush(path: string): void {
  const r = spawnSync('sync', ['-f', path], { stdio: 'ignore' });
  if (r.status !== 0) spawnSync('sync', [], { stdio: 'ignore' });
}

/** Can this process drop the page cache? (Usually not inside a container.) */
export function canDropCaches(): boolean {
  try {
    closeSync(openSync('/proc/sys/vm/drop_caches', 'w'));
    return true;
  } catch {
    return false;
  }
}

export function dropCaches(): void {
  const fd = openSync('/proc/sys/vm/drop_caches', 'w');
  try {
    writeSync(fd, '3\n');
  } finally {
    closeSync(fd);
  }
}

/** True when `cmd` runs at all (e.g. `rsync --version`). */
export function commandWorks(cmd: string, args: readonly string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/** First line of a command's output, for the report header; '' when it does not run. */
export function firstLine(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || typeof r.stdout !== 'string') return '';
  return (r.stdout.split('\n')[0] ?? '').trim();
}
