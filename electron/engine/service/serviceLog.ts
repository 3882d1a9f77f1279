// The service's structured log: pino, one JSON object a line (time, level, pair, what happened,
// its numbers), written to the rotating file in the state folder. What is logged: the service
// starting and stopping, every cycle with its timings and counts, errors, refusals and holds,
// approvals, rejections, restores and confirmations.
import type { Logger } from 'pino';
import { requireCjs } from '../core/runtime/requireCjs.js';
import { DEFAULT_LOG_LEVEL, logFile, RotatingLogFile, type LogLevel } from './logFile.js';

export type { Logger } from 'pino';

export interface ServiceLog {
  logger: Logger;
  file: string;
  close(): void;
}

type Pino = typeof import('pino');

/** A logger writing to $home/logs/tandem.log at `level` (default info). */
export function createServiceLog(home: string, level: LogLevel = DEFAULT_LOG_LEVEL): ServiceLog {
  const file = new RotatingLogFile(logFile(home));
  return {
    logger: createLogger(level, (line) => file.write(line)),
    file: file.file,
    close: () => file.close(),
  };
}

/** A pino logger with Tandem's line format, writing each line to `write` (tests capture them). */
export function createLogger(level: LogLevel, write: (line: string) => void): Logger {
  // Loaded by require, like the engine's other CommonJS packages (15 ms instead of an ESM scan).
  const pino = requireCjs('pino') as Pino;
  return pino.pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // "level":"warn" rather than 40: the file is read by people as well as by tools.
      formatters: { level: (label) => ({ level: label }) },
    },
    { write },
  );
}
