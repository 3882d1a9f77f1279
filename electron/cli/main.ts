// The `tandem` command line: a thin front over the engine (DESIGN.md, "The command line").
// Exit codes: 0 done or in sync; 1 differences remain; 2 refused or could not run.
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import type { ApplyResult, Plan } from '../shared/plan.js';
import { RefusalError, remoteTargetOf, resolvePair } from '../engine/pair/pair.js';
import type { RemoteLocation } from '../shared/remoteAddress.js';
import { formatBytes } from '../shared/format.js';
import { splitCommand } from '../shared/command.js';
import { appVersion } from '../engine/core/runtime/appVersion.js';
import { PairBusyError } from '../engine/pair/pairLock.js';
import { normalizeScheme, SchemeError } from '../engine/core/hash/hashScheme.js';
import { SyncSession } from '../engine/pair/syncSession.js';
import { CHUNKINGS, type Chunking } from '../engine/remote/chunking.js';
import { formatPlan, formatResult, reportRecovery } from './format.js';
import { ProgressBar } from './progressBar.js';
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../engine/service/logFile.js';
import { escapeRawBytes } from '../shared/names.js';
import type { ConflictChoice } from './twoWay.js';

export const USAGE = `usage:
  tandem sync SOURCE TARGET [--yes] [--force] [--confirm-target] [--max-delete N] [--dry-run]
                            [-H] [-X] [-A] [--owner] [--hash SCHEME] [--ignore PATTERN]... [--json]
                            [-e|--rsh 'ssh OPTIONS'] [--remote-tandem PATH] [-z] [--bwlimit RATE]
                            [--chunking cdc|fixed]
  tandem diff SOURCE TARGET [--confirm-target] [-X] [-A] [--hash SCHEME] [--ignore PATTERN]... [--json]
  tandem sync --two-way A B [--yes] [--conflict keep-a|keep-b|keep-both|newer] [--change-mode] [--force]
                            [--max-delete N] [--ignore PATTERN]... [--json]
  tandem diff --two-way A B [--json]
  tandem watch --two-way A B [--auto]
  tandem watch SOURCE TARGET [--auto] [--log-level LEVEL] [-e 'ssh OPTIONS'] [--remote-tandem PATH]
  tandem serve [--port N] [--new-token] [--log-level LEVEL]   # the web UI on 127.0.0.1 (prints its link once)
  tandem server                                              # the far side of a remote pair, run by ssh
  --yes approves the plan; --force also applies a held one (a suddenly empty source, most of the
  target deleted, more than --max-delete N entries deleted); --confirm-target accepts a target
  that is not the folder this pair last synced (a link that leads elsewhere now, a missing
  target, another disk): diff only previews it, sync records it
  -X/--xattrs syncs extended attributes (user.*), -A/--acls POSIX ACLs; the pair remembers them
  (--no-xattrs turns both off again); --owner keeps owners and groups (as root; --no-owner);
  -H/--hard-links gives the target the source's hard links (--no-hard-links)
  SOURCE or TARGET (of sync and diff; TARGET of watch) may be a folder on another machine,
  [user@]host:path or ssh://[user@]host[:port]/path, reached with your own ssh (-e/--rsh gives
  the command and its options); that machine needs Tandem installed (--remote-tandem PATH names
  it there); -z compresses the connection (ssh's -C), --bwlimit RATE caps what is sent or
  received (KiB a second, or with a suffix: 500K, 2M); a file whose content moved travels as the
  chunks the far copy lacks, cut by content (--chunking cdc, the default) or as rsync's blocks
  (--chunking fixed)
  --two-way makes A and B both sources: each side's changes go to the other, and where both
  changed a path it is a conflict a person resolves (asked on a terminal, or --conflict for all:
  keep-a, keep-b, keep-both renames the older copy to NAME.sync-conflict-DATE-TIME-SIDE.EXT,
  newer keeps the later one); whatever is replaced is kept in that side's .tandem/versions.
  --change-mode confirms turning a one-way pair two-way, or a two-way pair one-way again
exit codes: 0 done or in sync, 1 differences remain, 2 refused or could not run`;

class UsageError extends Error {}

type Options = ReturnType<typeof parse>['values'];

function optional<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}

type Command = 'sync' | 'diff' | 'watch' | 'serve';
const SYNC_DIFF: readonly Command[] = ['sync', 'diff'];

/** Which commands take each option (help and version go anywhere): one table, one message. */
const TAKEN_BY: Record<Exclude<keyof Options, 'help' | 'version'>, readonly Command[]> = {
  yes: ['sync'],
  force: ['sync'],
  'two-way': ['sync', 'diff', 'watch'],
  'change-mode': ['sync'],
  conflict: ['sync'],
  'dry-run': ['sync'],
  'max-delete': ['sync'],
  'confirm-target': SYNC_DIFF,
  hash: SYNC_DIFF,
  ignore: SYNC_DIFF,
  json: SYNC_DIFF,
  xattrs: SYNC_DIFF,
  acls: SYNC_DIFF,
  'no-xattrs': SYNC_DIFF,
  owner: SYNC_DIFF,
  'no-owner': SYNC_DIFF,
  'hard-links': SYNC_DIFF,
  'no-hard-links': SYNC_DIFF,
  rsh: ['sync', 'diff', 'watch'],
  'remote-tandem': ['sync', 'diff', 'watch'],
  compress: SYNC_DIFF,
  bwlimit: ['sync'],
  chunking: ['sync'],
  auto: ['watch'],
  'log-level': ['serve', 'watch'],
  port: ['serve'],
  'new-token': ['serve'],
};

/** Why an option cannot go with a command, said where it would surprise. */
const WHY_NOT: Partial<Record<keyof typeof TAKEN_BY, string>> = {
  'log-level': 'sync and diff keep no log',
};

/** Refuses any option the command does not take, naming the commands that do. */
function checkOptions(cmd: Command, o: Options): void {
  for (const [name, value] of Object.entries(o) as [keyof Options, unknown][]) {
    if (value === undefined || name === 'help' || name === 'version') continue;
    const takers = TAKEN_BY[name];
    if (takers.includes(cmd)) continue;
    const why = WHY_NOT[name];
    throw new UsageError(
      `--${name} belongs to ${takers.join(' and ')}${why ? ` (${why})` : ''}, not to ${cmd}`,
    );
  }
}

/** An on/off flag pair (--owner/--no-owner) as the pair's setting; undefined: as it last was. */
function flagChoice(on: boolean | undefined, off: boolean | undefined, name: string) {
  if (on && off) throw new UsageError(`--${name} and --no-${name} cannot be given together`);
  return on ? true : off ? false : undefined;
}

/** -X, -A and --no-xattrs as the pair's attribute setting. */
function attributeChoice(o: Options): { xattrs: boolean; acls: boolean } {
  if (o['no-xattrs'] && (o.xattrs || o.acls))
    throw new UsageError('--no-xattrs cannot be given with -X or -A');
  return { xattrs: o.xattrs === true, acls: o.acls === true };
}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** asks a yes/no question on the terminal; null when there is no terminal to ask */
  ask: ((q: string) => Promise<boolean>) | null;
  /** asks on the terminal and returns the answer as typed; null without a terminal */
  prompt?: ((q: string) => Promise<string>) | null;
  progress: ProgressBar;
}

function defaultIo(): Io {
  const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true;
  const prompt = (q: string) =>
    new Promise<string>((resolve) => {
      const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
      rl.question(q, (a) => {
        rl.close();
        resolve(a);
      });
    });
  return {
    // A path inside a message may hold raw bytes (names are bytes): shown as \#ooo, not U+FFFD.
    out: (s) => process.stdout.write(escapeRawBytes(s) + '\n'),
    err: (s) => process.stderr.write(escapeRawBytes(s) + '\n'),
    ask: interactive ? async (q) => /^y(es)?$/i.test((await prompt(q)).trim()) : null,
    prompt: interactive ? prompt : null,
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
        'two-way': { type: 'boolean' },
        'change-mode': { type: 'boolean' },
        conflict: { type: 'string' },
        force: { type: 'boolean' },
        'confirm-target': { type: 'boolean' },
        xattrs: { type: 'boolean', short: 'X' },
        owner: { type: 'boolean' },
        'hard-links': { type: 'boolean', short: 'H' },
        'no-hard-links': { type: 'boolean' },
        'no-owner': { type: 'boolean' },
        acls: { type: 'boolean', short: 'A' },
        'no-xattrs': { type: 'boolean' },
        'max-delete': { type: 'string' },
        'dry-run': { type: 'boolean', short: 'n' },
        hash: { type: 'string' },
        ignore: { type: 'string', multiple: true },
        json: { type: 'boolean' },
        auto: { type: 'boolean' },
        port: { type: 'string' },
        'new-token': { type: 'boolean' },
        'log-level': { type: 'string' },
        rsh: { type: 'string', short: 'e' },
        compress: { type: 'boolean', short: 'z' },
        bwlimit: { type: 'string' },
        chunking: { type: 'string' },
        'remote-tandem': { type: 'string' },
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
  const logLevel = parseLogLevel(o['log-level']);
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
      ...(logLevel ? { logLevel } : {}),
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

/** What sync and diff need of a session, local or remote. */
interface CliSession {
  recovery: { rolledBack: string[]; problems: string[] };
  plan(): Promise<Plan>;
  markInSync(): void | Promise<void>;
  apply(items: Plan['items']): ApplyResult | Promise<ApplyResult>;
  /** bytes on the wire, for a remote pair */
  wire?: () => { out: number; in: number };
  close(): Promise<void>;
}

interface OpenArgs {
  write: boolean;
  maxDelete: number | undefined;
  scheme: string | undefined;
  io: Io;
}

async function openLocal(
  sourceArg: string,
  targetArg: string,
  o: Options,
  a: OpenArgs,
): Promise<CliSession> {
  const remoteOnly = (['rsh', 'remote-tandem', 'compress', 'bwlimit', 'chunking'] as const).find(
    (k) => o[k] !== undefined,
  );
  if (remoteOnly)
    throw new UsageError(
      `--${remoteOnly} is for a folder on another machine (host:path), and ${sourceArg} and ${targetArg} are local folders`,
    );
  const paths = resolvePair(sourceArg, targetArg);
  const session = await SyncSession.open(paths, {
    write: a.write,
    confirmTarget: o['confirm-target'] === true,
    ...(a.maxDelete !== undefined ? { maxDelete: a.maxDelete } : {}),
    ignore: o.ignore ?? [],
    ...(a.scheme ? { scheme: a.scheme } : {}),
    ...(o.xattrs || o.acls || o['no-xattrs'] ? { xattrs: attributeChoice(o) } : {}),
    ...optional('owners', flagChoice(o.owner, o['no-owner'], 'owner')),
    ...optional('hardLinks', flagChoice(o['hard-links'], o['no-hard-links'], 'hard-links')),
    ...(o['change-mode'] ? { changeMode: true } : {}),
    onProgress: (p) => a.io.progress.update(p),
  });
  return {
    recovery: session.pair.recovery,
    plan: () => session.plan(),
    markInSync: () => session.markInSync(),
    apply: async (items) => {
      const result = session.apply(items);
      await session.settleTarget(items);
      return result;
    },
    close: () => session.close(),
  };
}

/**
 * A pair with one folder on another machine: `where` is that folder's address; `pull` when it
 * is the source (the target is `localArg` here), else the source is `localArg`.
 */
async function openRemote(
  localArg: string,
  where: RemoteLocation,
  pull: boolean,
  o: Options,
  a: OpenArgs,
): Promise<CliSession> {
  const fidelity = (
    [
      ['owner', '--owner'],
      ['hard-links', '-H'],
    ] as const
  ).find(([k]) => o[k]);
  if (fidelity)
    throw new RefusalError(
      `${fidelity[1]} is not yet kept for a folder on another machine (${where.host}); sync without it, or ${pull ? 'from' : 'to'} a local folder`,
    );
  const opts = {
    version: appVersion(),
    write: a.write,
    confirmTarget: o['confirm-target'] === true,
    ...(a.maxDelete !== undefined ? { maxDelete: a.maxDelete } : {}),
    ignore: o.ignore ?? [],
    ...(a.scheme ? { scheme: a.scheme } : {}),
    ...(o.rsh !== undefined ? { rsh: rshCommand(o.rsh) } : {}),
    ...(o['remote-tandem'] !== undefined ? { remoteTandem: o['remote-tandem'] } : {}),
    ...(o.compress ? { compress: true } : {}),
    ...(o.bwlimit !== undefined ? { bwLimit: parseRate(o.bwlimit) } : {}),
    ...(o.chunking !== undefined ? { chunking: parseChunking(o.chunking) } : {}),
    ...(o.xattrs || o.acls || o['no-xattrs'] ? { xattrs: attributeChoice(o) } : {}),
    batch: a.io.ask === null,
    onProgress: (p: Parameters<Io['progress']['update']>[0]) => a.io.progress.update(p),
  };
  const session = pull
    ? await (
        await import('../engine/remote/remoteSourceSession.js')
      ).RemoteSourceSession.open(where, localArg, opts)
    : await (
        await import('../engine/remote/remoteSession.js')
      ).RemoteSession.open(localArg, where, opts);
  return {
    get recovery() {
      return session.recovery;
    },
    plan: () => session.plan(),
    markInSync: () => session.markInSync(),
    apply: (items) => session.apply(items),
    wire: () => session.wire,
    close: () => session.close(),
  };
}

/** `watch --two-way A B [--auto]`: both folders local, watched until SIGINT or SIGTERM. */
async function watchTwoWay(folders: string[], o: Options, io: Io): Promise<number> {
  const [a, b] = folders as [string, string];
  localTwoWay(folders);
  if (o.rsh !== undefined || o['remote-tandem'] !== undefined)
    throw new UsageError('--rsh and --remote-tandem are for a folder on another machine');
  if (o['log-level'] !== undefined)
    throw new UsageError('--log-level is for the service; watch --two-way prints what it does');
  const stop = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const { runWatchTwoWay } = await import('./watchTwoWay.js');
  return runWatchTwoWay(a, b, o.auto === true, io, stop);
}

/** Two-way pairs are of local folders: an address is refused, naming its host. */
function localTwoWay(folders: string[]): void {
  for (const f of folders) {
    const where = remoteTargetOf(f);
    if (where)
      throw new RefusalError(
        `${f} is a folder on another machine (${where.host}); two-way pairs are local folders in this version`,
      );
  }
}

/** `--two-way A B`: both folders local, the options two-way pairs take, then runTwoWay. */
async function twoWay(
  cmd: 'sync' | 'diff',
  folders: string[],
  o: Options,
  io: Io,
): Promise<number> {
  const [a, b] = folders as [string, string];
  localTwoWay(folders);
  const unsupported = (
    [
      ['xattrs', '-X'],
      ['acls', '-A'],
      ['owner', '--owner'],
      ['hard-links', '-H'],
      ['rsh', '--rsh'],
      ['remote-tandem', '--remote-tandem'],
      ['compress', '-z'],
      ['bwlimit', '--bwlimit'],
      ['chunking', '--chunking'],
      ['dry-run', '--dry-run'],
    ] as const
  ).find(([k]) => o[k] !== undefined && o[k] !== false);
  if (unsupported)
    throw new UsageError(
      `${unsupported[1]} is not kept by two-way pairs yet${unsupported[0] === 'dry-run' ? ' (diff --two-way shows the plan)' : ''}`,
    );
  // Loaded here: a one-way sync, the common run, starts without the two-way engine's modules.
  const { CONFLICT_CHOICES, runTwoWay } = await import('./twoWay.js');
  const conflict = o.conflict ?? 'ask';
  if (!(CONFLICT_CHOICES as readonly string[]).includes(conflict))
    throw new UsageError(`--conflict takes keep-a, keep-b, keep-both or newer (got '${conflict}')`);
  const scheme = o.hash !== undefined ? normalizeScheme(o.hash) : undefined;
  return runTwoWay(
    {
      a,
      b,
      write: cmd === 'sync',
      yes: o.yes === true,
      force: o.force === true,
      json: o.json === true,
      conflict: conflict as ConflictChoice,
      changeMode: o['change-mode'] === true,
      confirmTarget: o['confirm-target'] === true,
      ...(o['max-delete'] !== undefined ? { maxDelete: parseMaxDelete(o['max-delete']) } : {}),
      ...(scheme ? { scheme } : {}),
      ignore: o.ignore ?? [],
    },
    { out: io.out, err: io.err, prompt: io.prompt ?? null, progress: io.progress },
  );
}

/** --rsh as a command and its arguments; a malformed one is a usage error. */
function rshCommand(s: string): string[] {
  try {
    return splitCommand(s);
  } catch (e) {
    throw new UsageError(`--rsh: ${(e as Error).message}`);
  }
}

export async function runCli(argv: string[], io: Io = defaultIo()): Promise<number> {
  let session: CliSession | null = null;
  try {
    const { values: o, positionals } = parse(argv);
    if (o.help || positionals[0] === 'help') {
      io.out(USAGE);
      return 0;
    }
    if (o.version) {
      io.out(`tandem ${appVersion()}`);
      return 0;
    }
    const [cmd, ...folders] = positionals;
    if (!cmd) throw new UsageError('no command given');
    if (cmd === 'server') {
      // The far side of a remote pair: stdout is the protocol's, nothing else may print there.
      if (folders.length)
        throw new UsageError('server takes no folders (ssh runs it for a remote pair)');
      const { runServer } = await import('../engine/remote/server.js');
      return await runServer(process.stdin, process.stdout, { version: appVersion() });
    }
    if (cmd !== 'sync' && cmd !== 'diff' && cmd !== 'watch' && cmd !== 'serve')
      throw new UsageError(`unknown command '${cmd}'`);
    checkOptions(cmd, o);
    if (cmd === 'serve') return await runServe(o, folders, io);
    if (folders.length !== 2)
      throw new UsageError(
        `${cmd} takes exactly two folders, ${o['two-way'] ? 'A and B' : 'SOURCE and TARGET'} (got ${folders.length})`,
      );
    if (o.conflict !== undefined && !o['two-way'])
      throw new UsageError('--conflict is for a two-way pair (--two-way)');
    if (o['two-way']) {
      if (cmd !== 'watch') return await twoWay(cmd, folders, o, io);
      return await watchTwoWay(folders, o, io);
    }
    const remote = remoteSide(folders);
    if (cmd === 'watch') {
      const logLevel = parseLogLevel(o['log-level']);
      if (!remote && (o.rsh !== undefined || o['remote-tandem'] !== undefined))
        throw new UsageError(
          `--${o.rsh !== undefined ? 'rsh' : 'remote-tandem'} is for a folder on another machine (host:path), and ${folders[0]} and ${folders[1]} are local folders`,
        );
      // A folder on another machine is the service's to resolve (pairRegistry): kept as its
      // address, the other resolved here.
      const paths = remote
        ? { source: folders[0]!, target: folders[1]! }
        : resolvePair(folders[0]!, folders[1]!);
      const stop = new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      // Loaded only for watch: the watcher and the service are not needed by sync and diff.
      const { runWatch } = await import('./watch.js');
      return await runWatch(
        paths.source,
        paths.target,
        o.auto === true,
        io,
        stop,
        undefined,
        logLevel,
        remote
          ? {
              ...(o.rsh !== undefined ? { rsh: o.rsh } : {}),
              ...(o['remote-tandem'] !== undefined ? { remoteTandem: o['remote-tandem'] } : {}),
            }
          : undefined,
      );
    }
    const maxDelete = o['max-delete'] !== undefined ? parseMaxDelete(o['max-delete']) : undefined;
    const scheme = o.hash !== undefined ? normalizeScheme(o.hash) : undefined;
    const write = cmd === 'sync' && !o['dry-run'];
    session = remote
      ? await openRemote(folders[remote.pull ? 1 : 0]!, remote.where, remote.pull, o, {
          write,
          maxDelete,
          scheme,
          io,
        })
      : await openLocal(folders[0]!, folders[1]!, o, { write, maxDelete, scheme, io });
    reportRecovery(session.recovery, io.err);
    const plan = await session.plan();
    io.progress.clear();
    for (const n of plan.notices ?? []) io.err(`tandem: note: ${n}`);
    const unknown = plan.skipped.filter((s) => s.unknown);

    if (cmd === 'diff' || o['dry-run']) {
      if (plan.items.length === 0 && unknown.length === 0) await session.markInSync();
      emitPlan(io, plan, o.json === true, cmd, session.wire?.());
      if (plan.items.length === 0 && !o.json)
        io.err(
          unknown.length
            ? 'tandem: in sync except the unreadable entries listed'
            : 'tandem: in sync',
        );
      return plan.items.length === 0 && unknown.length === 0 ? 0 : 1;
    }

    if (plan.items.length === 0) {
      await session.markInSync();
      emitPlan(io, plan, o.json === true, 'sync', session.wire?.());
      if (!o.json)
        io.err(
          unknown.length
            ? 'tandem: in sync except the unreadable entries listed'
            : 'tandem: in sync',
        );
      return unknown.length ? 1 : 0;
    }
    if (plan.holds.length && !o.force) {
      emitPlan(io, plan, o.json === true, 'sync', session.wire?.());
      io.err(`tandem: held, nothing applied: ${plan.holds.map((h) => h.message).join('; ')}`);
      return 1;
    }
    if (!o.yes) {
      if (!io.ask) {
        emitPlan(io, plan, o.json === true, 'sync', session.wire?.());
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
    const result = await session.apply(plan.items);
    io.progress.clear();
    const wire = session.wire?.();
    if (o.json) io.out(JSON.stringify({ plan, result, ...(wire ? { wire } : {}) }));
    else io.out(formatResult(result));
    if (wire && !o.json)
      io.err(`tandem: over ssh: sent ${formatBytes(wire.out)}, received ${formatBytes(wire.in)}`);
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

/** `--chunking cdc|fixed`. */
function parseChunking(v: string): Chunking {
  if ((CHUNKINGS as readonly string[]).includes(v)) return v as Chunking;
  throw new UsageError(
    `--chunking is cdc (content-defined chunks, the default) or fixed (rsync's blocks); got '${v}'`,
  );
}

/** `--bwlimit RATE` in bytes a second: KiB a second as rsync reads it, or with K, M or G. */
export function parseRate(v: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)$/i.exec(v.trim());
  const n = m
    ? Number(m[1]) * 1024 ** (['K', 'M', 'G'].indexOf((m[2] || 'K').toUpperCase()) + 1)
    : NaN;
  if (!m || !(n >= 1024))
    throw new UsageError(
      `--bwlimit needs a rate of at least 1 KiB a second: KiB as a number (500), or with K, M or G (2M); got '${v}'`,
    );
  return n;
}

/** --log-level's value, checked; undefined when not given. */
function parseLogLevel(v: string | undefined): LogLevel | undefined {
  if (v === undefined) return undefined;
  if (!isLogLevel(v))
    throw new UsageError(`--log-level takes one of ${LOG_LEVELS.join(', ')} (got ${v})`);
  return v;
}

/**
 * diff --json prints the plan; sync --json prints {plan, result} (result null: nothing applied),
 * and for a remote pair its bytes on the wire, as after an apply.
 */
function emitPlan(
  io: Io,
  plan: Plan,
  json: boolean,
  cmd: 'sync' | 'diff',
  wire?: { out: number; in: number },
): void {
  if (json)
    io.out(
      JSON.stringify(cmd === 'diff' ? plan : { plan, result: null, ...(wire ? { wire } : {}) }),
    );
  else if (plan.items.length || plan.skipped.length) io.out(formatPlan(plan));
}

/**
 * Which folder of a one-way pair is on another machine: the source (a pull), the target, or
 * neither. Both is refused: one side of a pair must be this machine's.
 */
function remoteSide(folders: string[]): { where: RemoteLocation; pull: boolean } | null {
  const [sourceArg, targetArg] = folders as [string, string];
  const source = remoteTargetOf(sourceArg);
  const target = remoteTargetOf(targetArg);
  if (source && target)
    throw new RefusalError(
      `${sourceArg} and ${targetArg} are both on other machines; one folder of a pair must be on this one (run tandem on ${source.host} or ${target.host})`,
    );
  if (source) return { where: source, pull: true };
  return target ? { where: target, pull: false } : null;
}
