// The `tandem` command line: a thin front over the engine (DESIGN.md, "The command line").
// Exit codes: 0 done or in sync; 1 differences remain; 2 refused or could not run.
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import type { Plan } from '../shared/plan.js';
import { RefusalError, resolvePair } from '../engine/pair/pair.js';
import { PairBusyError } from '../engine/pair/pairLock.js';
import { normalizeScheme, SchemeError } from '../engine/core/hash/hashScheme.js';
import { SyncSession } from '../engine/pair/syncSession.js';
import { formatPlan, formatResult } from './format.js';
import { ProgressBar } from './progressBar.js';

export const USAGE = `usage:
  tandem sync SOURCE TARGET [--yes] [--force] [--confirm-target] [--max-delete N] [--dry-run]
                            [--hash SCHEME] [--ignore PATTERN]... [--json]
  tandem diff SOURCE TARGET [--confirm-target] [--hash SCHEME] [--ignore PATTERN]... [--json]
  tandem watch SOURCE TARGET [--auto]
  tandem serve [--port N] [--new-token]      # the web UI on 127.0.0.1 (prints its link once)
  --yes approves the plan; --force also applies a held one (a suddenly empty source, most of the
  target deleted, more than --max-delete N entries deleted); --confirm-target accepts a target
  that is not the folder this pair last synced (a link that leads elsewhere now, a missing
  target, another disk): diff only previews it, sync records it
exit codes: 0 done or in sync, 1 differences remain, 2 refused or could not run`;

class UsageError extends Error {}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** asks a yes/no question on the terminal; null when there is no terminal to ask */
  ask: ((q: string) => Promise<boolean>) | null;
  progress: ProgressBar;
}

function defaultIo(): Io {
  const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true;
  return {
    out: (s) => process.stdout.write(s + '\n'),
    err: (s) => process.stderr.write(s + '\n'),
    ask: interactive
      ? (q) =>
          new Promise((resolve) => {
            const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
            rl.question(q, (a) => {
              rl.close();
              resolve(/^y(es)?$/i.test(a.trim()));
            });
          })
      : null,
    progress: new ProgressBar(),
  };
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        yes: { type: 'boolean', short: 'y' },
        force: { type: 'boolean' },
        'confirm-target': { type: 'boolean' },
        'max-delete': { type: 'string' },
        'dry-run': { type: 'boolean', short: 'n' },
        hash: { type: 'string' },
        ignore: { type: 'string', multiple: true },
        json: { type: 'boolean' },
        auto: { type: 'boolean' },
        port: { type: 'string' },
        'new-token': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (e) {
    throw new UsageError(
      (e as Error).message.split('\n')[0]!.replace(/\. To specify a positional.*$/, ''),
    );
  }
}

async function runServe(
  o: ReturnType<typeof parse>['values'],
  rest: string[],
  io: Io,
): Promise<number> {
  if (rest.length)
    throw new UsageError(`serve takes no folders (got ${rest.join(' ')}); add pairs in the UI`);
  if (
    o.yes ||
    o.force ||
    o['confirm-target'] ||
    o['max-delete'] !== undefined ||
    o['dry-run'] ||
    o.json ||
    o.hash ||
    o.ignore ||
    o.auto
  )
    throw new UsageError('serve takes only --port N and --new-token');
  let port: number | undefined;
  if (o.port !== undefined) {
    port = Number(o.port);
    if (!/^\d+$/.test(o.port) || port > 65535)
      throw new UsageError(`--port needs a number from 0 to 65535 (got ${o.port})`);
  }
  // Loaded only for serve: the daemon and its WebSocket library are not needed by sync and diff.
  const { serve } = await import('../daemon/serve.js');
  const stop = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  try {
    await serve({
      ...(port !== undefined ? { port } : {}),
      newToken: o['new-token'] === true,
      stop,
      log: io.err,
      onReady: (url) =>
        io.out(
          `Tandem is serving its UI at ${url}\nOpen that link in a browser on this machine; Ctrl-C stops.`,
        ),
    });
  } catch (e) {
    // A busy port, a daemon already running, a service that cannot start: one line, exit 2.
    io.err(`tandem: ${(e as Error).message}`);
    return 2;
  }
  return 0;
}

export async function runCli(argv: string[], io: Io = defaultIo()): Promise<number> {
  let session: SyncSession | null = null;
  try {
    const { values: o, positionals } = parse(argv);
    if (o.help || positionals[0] === 'help') {
      io.out(USAGE);
      return 0;
    }
    if (o.version) {
      io.out('tandem 0.1.0');
      return 0;
    }
    const [cmd, ...folders] = positionals;
    if (!cmd) throw new UsageError('no command given');
    if (cmd !== 'sync' && cmd !== 'diff' && cmd !== 'watch' && cmd !== 'serve')
      throw new UsageError(`unknown command '${cmd}'`);
    if (cmd === 'serve') return await runServe(o, folders, io);
    if (o.port !== undefined || o['new-token'])
      throw new UsageError('--port and --new-token belong to serve');
    if (folders.length !== 2)
      throw new UsageError(
        `${cmd} takes exactly two folders, SOURCE and TARGET (got ${folders.length})`,
      );
    if (cmd === 'watch') {
      if (
        o.yes ||
        o.force ||
        o['confirm-target'] ||
        o['max-delete'] !== undefined ||
        o['dry-run'] ||
        o.json ||
        o.hash ||
        o.ignore
      ) {
        throw new UsageError(
          'watch takes only --auto (set the scheme and ignore patterns on the pair)',
        );
      }
      const paths = resolvePair(folders[0]!, folders[1]!);
      const stop = new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      // Loaded only for watch: the watcher and the service are not needed by sync and diff.
      const { runWatch } = await import('./watch.js');
      return await runWatch(paths.source, paths.target, o.auto === true, io, stop);
    }
    if (o.auto) throw new UsageError('--auto belongs to watch');
    if (cmd === 'diff' && (o.yes || o.force || o['dry-run'] || o['max-delete'] !== undefined))
      throw new UsageError(
        'diff never writes: --yes, --force, --max-delete and --dry-run belong to sync',
      );
    const maxDelete = o['max-delete'] !== undefined ? parseMaxDelete(o['max-delete']) : undefined;
    const scheme = o.hash !== undefined ? normalizeScheme(o.hash) : undefined;
    const paths = resolvePair(folders[0]!, folders[1]!);
    const write = cmd === 'sync' && !o['dry-run'];
    session = await SyncSession.open(paths, {
      write,
      confirmTarget: o['confirm-target'] === true,
      ...(maxDelete !== undefined ? { maxDelete } : {}),
      ignore: o.ignore ?? [],
      ...(scheme ? { scheme } : {}),
      onProgress: (p) => io.progress.update(p),
    });
    for (const f of session.pair.recovery.rolledBack)
      io.err(
        `tandem: undid an interrupted patch of ${f}; it holds its old content and is synced again now`,
      );
    for (const p of session.pair.recovery.problems) io.err(`tandem: ${p}`);
    const plan = await session.plan();
    io.progress.clear();
    const unknown = plan.skipped.filter((s) => s.unknown);

    if (cmd === 'diff' || o['dry-run']) {
      if (plan.items.length === 0 && unknown.length === 0) session.markInSync();
      emitPlan(io, plan, o.json === true, cmd);
      if (plan.items.length === 0 && !o.json)
        io.err(
          unknown.length
            ? 'tandem: in sync except the unreadable entries listed'
            : 'tandem: in sync',
        );
      return plan.items.length === 0 && unknown.length === 0 ? 0 : 1;
    }

    if (plan.items.length === 0) {
      session.markInSync();
      emitPlan(io, plan, o.json === true, 'sync');
      if (!o.json)
        io.err(
          unknown.length
            ? 'tandem: in sync except the unreadable entries listed'
            : 'tandem: in sync',
        );
      return unknown.length ? 1 : 0;
    }
    if (plan.holds.length && !o.force) {
      emitPlan(io, plan, o.json === true, 'sync');
      io.err(`tandem: held, nothing applied: ${plan.holds.map((h) => h.message).join('; ')}`);
      return 1;
    }
    if (!o.yes) {
      if (!io.ask) {
        emitPlan(io, plan, o.json === true, 'sync');
        io.err(
          'tandem: not applied: no terminal to ask for approval; run again with --yes to apply this plan',
        );
        return 1;
      }
      io.out(formatPlan(plan));
      if (
        !(await io.ask(
          `Apply ${plan.items.length} change${plan.items.length === 1 ? '' : 's'} to ${plan.target}? [y/N] `,
        ))
      ) {
        io.err('tandem: not applied');
        return 1;
      }
    } else if (!o.json) {
      io.out(formatPlan(plan));
    }
    const result = session.apply(plan.items);
    io.progress.clear();
    if (o.json) io.out(JSON.stringify({ plan, result }));
    else io.out(formatResult(result));
    if (result.stopped) {
      io.err(`tandem: stopped: ${result.stopped}`);
      return 1;
    }
    if (result.failed.length) {
      io.err(
        `tandem: ${result.failed.length} item${result.failed.length === 1 ? '' : 's'} not applied (listed above); run again once the cause is fixed`,
      );
      return 1;
    }
    if (unknown.length) {
      io.err(
        `tandem: ${unknown.length} entr${unknown.length === 1 ? 'y' : 'ies'} could not be read and were left alone (listed above)`,
      );
      return 1;
    }
    return 0;
  } catch (e) {
    io.progress.clear();
    if (e instanceof UsageError) {
      io.err(`tandem: ${e.message}; see tandem --help`);
      return 2;
    }
    if (e instanceof PairBusyError) {
      io.err(
        `tandem: ${e.message}: another Tandem is syncing this pair; run again once it is done`,
      );
      return 2;
    }
    if (e instanceof RefusalError || e instanceof SchemeError) {
      io.err(`tandem: ${e.message}`);
      return 2;
    }
    const err = e as NodeJS.ErrnoException;
    io.err(
      `tandem: could not run: ${err.message ?? String(e)}${process.env.TANDEM_DEBUG ? `\n${err.stack}` : ' (set TANDEM_DEBUG=1 for details)'}`,
    );
    return 2;
  } finally {
    await session?.close();
  }
}

/** `--max-delete N`: a whole number of entries, 0 (no deletion without --force) or more. */
function parseMaxDelete(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n))
    throw new UsageError(`--max-delete needs a whole number of entries, 0 or more (got '${v}')`);
  return n;
}

/** diff --json prints the plan; sync --json prints {plan, result} (result null: nothing applied). */
function emitPlan(io: Io, plan: Plan, json: boolean, cmd: 'sync' | 'diff'): void {
  if (json) io.out(JSON.stringify(cmd === 'diff' ? plan : { plan, result: null }));
  else if (plan.items.length || plan.skipped.length) io.out(formatPlan(plan));
}
