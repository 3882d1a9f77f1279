// The service's log file, $TANDEM_HOME/logs/tandem.log, rotated by size: when a line would take it
// past the limit it becomes tandem.log.1 (and .1 becomes .2, up to `keep` old files). Writes are
// synchronous appends, so a line logged just before a crash is on disk; lines are few (a cycle, an
// error, an approval), not one per file, so this costs microseconds per line. No pino here: the
// CLI reads the path and levels without loading the logger.
import fs from 'node:fs';
import path from 'node:path';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

/** Where the service's log is, for a state folder. */
export function logFile(home: string): string {
  return path.join(home, 'logs', 'tandem.log');
}

export interface RotationOptions {
  /** the size at which the file is rotated (default 5 MiB) */
  maxBytes?: number;
  /** rotated files kept beside it (default 3: about 20 MiB of log in all) */
  keep?: number;
}

export class RotatingLogFile {
  private fd: number | null = null;
  private ino = -1;
  private size = 0;
  private readonly maxBytes: number;
  private readonly keep: number;
  private reported = false;

  constructor(
    readonly file: string,
    opts: RotationOptions = {},
  ) {
    this.maxBytes = opts.maxBytes ?? 5 * 1024 * 1024;
    this.keep = Math.max(1, opts.keep ?? 3);
  }

  /** Appends one line (with its newline). A log that cannot be written never stops a sync. */
  write(line: string): void {
    try {
      // Another process on this state folder (the daemon and `tandem watch`) may have rotated
      // the file: follow the path, not an inode that has become tandem.log.1.
      const st = fs.statSync(this.file, { throwIfNoEntry: false });
      if (this.fd !== null && (!st || st.ino !== this.ino)) this.closeFd();
      const bytes = Buffer.byteLength(line);
      if (this.fd === null) this.open();
      if (this.size > 0 && this.size + bytes > this.maxBytes) {
        this.rotate();
        this.open();
      }
      fs.writeSync(this.fd!, line);
      this.size += bytes;
    } catch (e) {
      // Say so once, where a person running the daemon or `tandem watch` can see it; the next
      // line tries again (a full disk may have been freed).
      this.closeFd();
      if (!this.reported)
        process.stderr.write(
          `tandem: cannot write the log ${this.file}: ${(e as Error).message}; carrying on without it\n`,
        );
      this.reported = true;
    }
  }

  close(): void {
    this.closeFd();
  }

  private open(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    // The log names folders and files: readable by its owner only.
    this.fd = fs.openSync(this.file, 'a', 0o600);
    const st = fs.fstatSync(this.fd);
    this.ino = st.ino;
    this.size = st.size;
  }

  private rotate(): void {
    this.closeFd();
    fs.rmSync(`${this.file}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) {
      try {
        fs.renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    fs.renameSync(this.file, `${this.file}.1`);
  }

  private closeFd(): void {
    if (this.fd !== null) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* already closed */
      }
    }
    this.fd = null;
  }
}

/**
 * The last `count` lines of the log, oldest first, reaching into tandem.log.1 when the current
 * file is shorter. Reads only the file's tail, however large it grew.
 */
export function readLogTail(file: string, count: number): string[] {
  const want = Math.max(0, Math.min(count, 5_000));
  const lines: string[] = [];
  for (const f of [file, `${file}.1`]) {
    if (lines.length >= want) break;
    lines.unshift(...tailOf(f, want - lines.length));
  }
  return lines;
}

function tailOf(file: string, count: number): string[] {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = fs.fstatSync(fd).size;
    // About 400 bytes a line; read more until enough lines are in or the file is read whole.
    let span = Math.min(size, Math.max(64 * 1024, count * 512));
    for (;;) {
      const buf = Buffer.alloc(span);
      fs.readSync(fd, buf, 0, span, size - span);
      const text = buf.toString('utf8');
      const parts = text.split('\n').filter((l) => l !== '');
      // The first part may be a line cut by where the read began.
      if (span < size) parts.shift();
      if (parts.length >= count || span >= size) return parts.slice(-count);
      span = Math.min(size, span * 4);
    }
  } finally {
    fs.closeSync(fd);
  }
}
