// `tandem sync --two-way A B` and `tandem diff --two-way A B`: the command line over
// pair/twoWaySession. Every change is shown with its direction (A → B, B → A); conflicts are
// listed first and are never resolved without a word: asked one by one on a terminal, or named
// for all with --conflict (keep-a, keep-b, keep-both, newer), or else left for the next run
// (exit 1). Exit codes as for a one-way pair: 0 done or in sync, 1 something remains, 2 refused.
import { formatBytes } from '../shared/format.js';
import type { ApplyResult, EntrySnapshot } from '../shared/plan.js';
import {
  newerWins,
  TwoWaySession,
  type Resolution,
  type TwoWayChange,
  type TwoWayConflict,
  type TwoWayPlan,
  type TwoWayResult,
} from '../engine/pair/twoWaySession.js';
import type { SessionProgress } from '../engine/pair/syncSession.js';
import { formatResult, reportRecovery, showPath } from './format.js';

export type ConflictChoice = 'ask' | 'keep-a' | 'keep-b' | 'keep-both' | 'newer';
export const CONFLICT_CHOICES: readonly ConflictChoice[] = [
  'ask',
  'keep-a',
  'keep-b',
  'keep-both',
  'newer',
];

export interface TwoWayIo {
  out: (s: string) => void;
  err: (s: string) => void;
  /** asks on the terminal and returns the answer; null without a terminal */
  prompt: ((q: string) => Promise<string>) | null;
  progress: { update(p: SessionProgress): void; clear(): void };
}

export interface TwoWayArgs {
  a: string;
  b: string;
  write: boolean;
  yes: boolean;
  force: boolean;
  json: boolean;
  conflict: ConflictChoice;
  changeMode: boolean;
  confirmTarget: boolean;
  maxDelete?: number;
  scheme?: string;
  ignore: string[];
}

const ARROW = { aToB: 'A → B', bToA: 'B → A' } as const;

const KIND_TEXT = {
  bothCreated: 'created on both sides, differently',
  bothModified: 'changed on both sides',
  deletedChanged: 'deleted on one side, changed on the other',
  typeChanged: 'a type change against another change',
} as const;

function entryText(e: EntrySnapshot | undefined): string {
  if (!e) return 'absent';
  const when = new Date(e.mtimeMs).toISOString().replace('T', ' ').slice(0, 19);
  if (e.type === 'file') return `${formatBytes(e.size)}, ${when}`;
  if (e.type === 'symlink') return `link -> ${showPath(e.linkTarget ?? '')}`;
  return e.type === 'dir' ? 'folder' : e.type;
}

export function formatChange(c: TwoWayChange): string {
  const shown = c.direction === 'aToB' ? c.a : c.b;
  const p =
    showPath(c.path) + ((shown ?? (c.direction === 'aToB' ? c.b : c.a))?.type === 'dir' ? '/' : '');
  switch (c.action) {
    case 'create':
      return `${ARROW[c.direction]}  + ${p}${shown?.type === 'file' ? `  ${formatBytes(shown.size)}` : ''}${c.kept ? '  (made again: the other side changed what is in it)' : ''}`;
    case 'update':
      return `${ARROW[c.direction]}  ~ ${p}  ${formatBytes(c.bytesToWrite)} to write`;
    case 'metadata':
      return `${ARROW[c.direction]}  m ${p}  mode ${((shown?.mode ?? 0) & 0o7777).toString(8)}`;
    case 'replaceType':
      return `${ARROW[c.direction]}  T ${p}`;
    case 'delete':
      return `${ARROW[c.direction]}  - ${p}`;
    case 'move':
      return `${ARROW[c.direction]}  > ${showPath(c.from ?? '')} -> ${p}`;
  }
}

export function formatConflict(c: TwoWayConflict): string {
  const chunks = c.chunks ? `; ${c.chunks.changed.length} of ${c.chunks.total} chunks differ` : '';
  const moved =
    c.movedTo !== undefined ? `; the deleting side renamed it ${showPath(c.movedTo)}` : '';
  const inside = c.inside.length ? `; ${c.inside.length} more below wait for it` : '';
  return `conflict  ${showPath(c.path)}: ${KIND_TEXT[c.kind]}\n    A: ${entryText(c.a)}\n    B: ${entryText(c.b)}${chunks}${moved}${inside}`;
}

export function formatTwoWayPlan(plan: TwoWayPlan, limit = 200): string {
  const lines = [`A: ${showPath(plan.a)}`, `B: ${showPath(plan.b)}`];
  for (const c of plan.conflicts) lines.push(formatConflict(c));
  for (const c of plan.changes.slice(0, limit)) lines.push(formatChange(c));
  if (plan.changes.length > limit)
    lines.push(`… and ${plan.changes.length - limit} more (use --json for all)`);
  for (const sk of plan.skipped)
    lines.push(`? ${showPath(sk.path)}  (${sk.side === 'source' ? 'A' : 'B'}: ${sk.reason})`);
  const s = plan.summary;
  lines.push(
    `${s.aToB} A → B, ${s.bToA} B → A, ${s.conflicts} conflict${s.conflicts === 1 ? '' : 's'}: ${formatBytes(s.bytesToWrite)} to write${plan.firstSync ? ' (first two-way sync: entries that differ are conflicts, never one side winning)' : ''}`,
  );
  return lines.join('\n');
}

function choiceResolution(choice: ConflictChoice, c: TwoWayConflict): Resolution | null {
  switch (choice) {
    case 'keep-a':
      return 'keepA';
    case 'keep-b':
      return 'keepB';
    case 'keep-both':
      return 'keepBoth';
    case 'newer':
      return newerWins(c);
    case 'ask':
      return null;
  }
}

/** Asks per conflict: a, b, both, or s(kip). */
async function ask(
  prompt: (q: string) => Promise<string>,
  io: TwoWayIo,
  c: TwoWayConflict,
): Promise<Resolution | null> {
  io.out(formatConflict(c));
  for (;;) {
    const a = (await prompt("  keep [a] A's, [b] B's, [k] both, or [s] skip? "))
      .trim()
      .toLowerCase();
    if (a === 'a') return 'keepA';
    if (a === 'b') return 'keepB';
    if (a === 'k' || a === 'both') return 'keepBoth';
    if (a === 's' || a === '') return null;
  }
}

function resultText(r: TwoWayResult): string {
  const lines: string[] = [];
  for (const x of r.resolved)
    lines.push(
      `resolved ${showPath(x.path)}: ${x.resolution === 'keepA' ? "A's kept" : x.resolution === 'keepB' ? "B's kept" : `both kept${x.renamedTo ? `, the other as ${showPath(x.renamedTo)}` : ''}`}`,
    );
  const dir = (name: string, a: ApplyResult) =>
    a.applied || a.failed.length || a.stopped ? [`${name}: ${formatResult(a)}`] : [];
  lines.push(...dir('A → B', r.aToB), ...dir('B → A', r.bToA));
  if (lines.length === 0) lines.push('nothing to write');
  return lines.join('\n');
}

export async function runTwoWay(args: TwoWayArgs, io: TwoWayIo): Promise<number> {
  const session = await TwoWaySession.open(args.a, args.b, {
    write: args.write,
    confirmTarget: args.confirmTarget,
    changeMode: args.changeMode,
    ignore: args.ignore,
    ...(args.scheme ? { scheme: args.scheme } : {}),
    ...(args.maxDelete !== undefined ? { maxDelete: args.maxDelete } : {}),
    onProgress: (p) => io.progress.update(p),
  });
  try {
    reportRecovery(session.recovery, io.err);
    const plan = await session.plan();
    io.progress.clear();
    const unknown = plan.skipped.filter((s) => s.unknown).length;
    const nothing = plan.changes.length === 0 && plan.conflicts.length === 0;
    const emit = (result: TwoWayResult | null) => {
      if (args.json) io.out(JSON.stringify(args.write ? { plan, result } : plan));
    };
    if (!args.write || nothing) {
      emit(null);
      if (!args.json && (!nothing || plan.skipped.length)) io.out(formatTwoWayPlan(plan));
      if (!args.json && nothing)
        io.err(
          unknown ? 'tandem: in sync except the unreadable entries listed' : 'tandem: in sync',
        );
      return nothing && unknown === 0 ? 0 : 1;
    }
    if (plan.holds.length && !args.force) {
      emit(null);
      if (!args.json) io.out(formatTwoWayPlan(plan));
      io.err(`tandem: held, nothing applied: ${plan.holds.map((h) => h.message).join('; ')}`);
      return 1;
    }
    if (!args.json) io.out(formatTwoWayPlan(plan));
    // The conflicts: a choice for all, or one by one on a terminal.
    const resolutions = new Map<string, Resolution>();
    for (const c of plan.conflicts) {
      const r =
        args.conflict === 'ask'
          ? io.prompt && !args.json
            ? await ask(io.prompt, io, c)
            : null
          : choiceResolution(args.conflict, c);
      if (r) resolutions.set(c.path, r);
    }
    const oneWay = plan.changes.length;
    if (!args.yes && (oneWay > 0 || resolutions.size > 0)) {
      if (!io.prompt) {
        emit(null);
        io.err(
          'tandem: not applied: no terminal to ask for approval; run again with --yes to apply this plan' +
            (plan.conflicts.length
              ? ' (and --conflict keep-a, keep-b, keep-both or newer for its conflicts)'
              : ''),
        );
        return 1;
      }
      const answer = await io.prompt(
        `Apply ${oneWay} change${oneWay === 1 ? '' : 's'}${resolutions.size ? ` and ${resolutions.size} resolution${resolutions.size === 1 ? '' : 's'}` : ''}? [y/N] `,
      );
      if (!/^y(es)?$/i.test(answer.trim())) {
        io.err('tandem: not applied');
        return 1;
      }
    }
    const result = await session.apply(resolutions, { force: args.force });
    io.progress.clear();
    emit(result);
    if (!args.json) io.out(resultText(result));
    if (result.holds.length) {
      io.err(`tandem: held, nothing applied: ${result.holds.map((h) => h.message).join('; ')}`);
      return 1;
    }
    const failed = result.aToB.failed.length + result.bToA.failed.length;
    const stopped = result.aToB.stopped ?? result.bToA.stopped;
    if (stopped) {
      io.err(`tandem: stopped: ${stopped}`);
      return 1;
    }
    if (failed) {
      io.err(
        `tandem: ${failed} item${failed === 1 ? '' : 's'} not applied (listed above); run again once the cause is fixed`,
      );
      return 1;
    }
    if (result.unresolved.length) {
      io.err(
        `tandem: ${result.unresolved.length === 1 ? '1 conflict left as it is; resolve it' : `${result.unresolved.length} conflicts left as they are; resolve them`} on a terminal, or with --conflict keep-a, keep-b, keep-both or newer`,
      );
      return 1;
    }
    if (unknown) {
      io.err(
        `tandem: ${unknown} entr${unknown === 1 ? 'y' : 'ies'} could not be read and were left alone (listed above)`,
      );
      return 1;
    }
    return 0;
  } finally {
    await session.close();
  }
}
