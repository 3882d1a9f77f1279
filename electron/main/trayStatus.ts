// What the tray says: one icon state and one status line for all pairs, a short name for a pair,
// and its menu as data. Pure functions, so the precedence rules have a table of tests.
import type { PairConfig, PairMode, PairStatus } from '../shared/syncApi.js';
import type { SyncModel } from './syncModel.js';

export type TrayState = 'inSync' | 'pending' | 'syncing' | 'paused' | 'error';
export const TRAY_STATES = [
  'inSync',
  'pending',
  'syncing',
  'paused',
  'error',
] as const satisfies readonly TrayState[];

/** The last part of a path, on either platform's separators ("/" and "C:\" stay themselves). */
function baseName(p: string): string {
  const parts = p.split(/[\\/]+/).filter(Boolean);
  return parts.at(-1) ?? p;
}

function parentAndBase(p: string): string {
  const parts = p.split(/[\\/]+/).filter(Boolean);
  return parts.length >= 2 ? `${parts.at(-2)}/${parts.at(-1)}` : baseName(p);
}

/**
 * "Photos → Backup", or "Laptop ⇄ Desktop" for a two-way pair (the renderer's pairArrow). Where
 * both folders have the same name (Documents → Documents, the usual backup), the target's parent
 * is shown too so the two ends can be told apart.
 */
export function pairLabel(
  pair: Pick<PairConfig, 'source' | 'target'> & { mode?: PairMode },
): string {
  const from = baseName(pair.source);
  const to = baseName(pair.target);
  const arrow = pair.mode === 'twoWay' ? '⇄' : '→';
  return `${from} ${arrow} ${from === to ? parentAndBase(pair.target) : to}`;
}

function isBusy(s: PairStatus): boolean {
  return s.state === 'syncing' || s.state === 'scanning' || s.state === 'starting';
}

/**
 * One state for the whole app. Precedence: error (someone must look) › syncing (work under way) ›
 * pending (changes wait) › paused › in sync. Pausing everything does not hide errors or waiting
 * changes, which still need a person.
 */
export function trayState(statuses: readonly PairStatus[], pausedAll: boolean): TrayState {
  if (statuses.some((s) => s.state === 'error')) return 'error';
  if (statuses.some(isBusy)) return 'syncing';
  if (statuses.some((s) => s.state === 'pending' || s.pending > 0)) return 'pending';
  if (pausedAll || statuses.some((s) => s.state === 'paused')) return 'paused';
  return 'inSync';
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The tray's one-line summary, matching trayState's precedence. */
export function statusLine(
  statuses: readonly PairStatus[],
  pairs: readonly (Pick<PairConfig, 'id' | 'source' | 'target'> & { mode?: PairMode })[],
  pausedAll: boolean,
): string {
  const label = (id: string) => {
    const p = pairs.find((x) => x.id === id);
    return p ? pairLabel(p) : 'a pair';
  };
  if (pairs.length === 0) return 'No pairs yet — open Tandem to add one';
  const errors = statuses.filter((s) => s.state === 'error');
  if (errors.length === 1) {
    const e = errors[0]!;
    return `${label(e.pairId)}: ${e.lastError ?? 'stopped with an error'}`;
  }
  if (errors.length > 1) return `${errors.length} pairs have problems — open Tandem to see them`;
  const busy = statuses.filter(isBusy);
  if (busy.length === 1) {
    const b = busy[0]!;
    const verb = b.state === 'syncing' ? 'Syncing' : 'Checking';
    return `${verb} ${label(b.pairId)}…`;
  }
  if (busy.length > 1) return `Syncing ${busy.length} pairs…`;
  const pending = statuses.reduce((n, s) => n + s.pending, 0);
  // A two-way conflict waits for a choice (keep A's, B's or both), which auto-approve never
  // makes; a one-way conflict (the target edited) waits for an approval. Counted apart, so the
  // tray says which of the two a person is asked for.
  const twoWay = new Set(pairs.filter((p) => p.mode === 'twoWay').map((p) => p.id));
  const toResolve = statuses.reduce((n, s) => n + (twoWay.has(s.pairId) ? s.conflicts : 0), 0);
  const toApprove = statuses.reduce((n, s) => n + (twoWay.has(s.pairId) ? 0 : s.conflicts), 0);
  if (pending > 0) {
    const parts = [plural(pending, 'change pending', 'changes pending')];
    if (toResolve > 0) parts.push(`${plural(toResolve, 'conflict', 'conflicts')} to resolve`);
    if (toApprove > 0) parts.push(`${toApprove} needing your approval`);
    return parts.join(', ');
  }
  if (pausedAll) return 'Paused';
  const paused = statuses.filter((s) => s.state === 'paused').length;
  if (paused > 0 && paused === pairs.length) return 'Paused';
  if (paused > 0) return `${paused} of ${plural(pairs.length, 'pair', 'pairs')} paused`;
  if (pairs.length === 1) return `${label(pairs[0]!.id)} in sync`;
  return `All ${pairs.length} pairs in sync`;
}

/**
 * Menu labels treat "&" as a mnemonic marker on Windows and Linux, so a folder named "R&D" would
 * lose its ampersand; doubled, it shows as one.
 */
export function menuText(text: string, platform: NodeJS.Platform): string {
  return platform === 'darwin' ? text : text.replaceAll('&', '&&');
}

/**
 * The tray icon for a state. macOS draws template images in the menu bar's own colour; elsewhere
 * the glyph is light or dark to stand out on the panel. The @2x file beside each is picked up by
 * nativeImage for high-density displays.
 */
export function trayIconFile(state: TrayState, platform: NodeJS.Platform, dark: boolean): string {
  if (platform === 'darwin') return `tray-${state}-Template.png`;
  return `tray-${state}-${dark ? 'dark' : 'light'}.png`;
}

/** Shortens text to `max` characters with an ellipsis (tooltips are cut at 127 on Windows). */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** What a tray menu item does; tray.ts maps each to the shell's action. */
export type TrayAction =
  | { kind: 'open' }
  | { kind: 'addPair' }
  | { kind: 'syncNow'; pairId: string }
  | { kind: 'setPausedAll'; paused: boolean }
  | { kind: 'openLog' }
  | { kind: 'quit' };

export type TrayMenuItem =
  | { type: 'separator' }
  | { label: string; enabled?: boolean; action?: TrayAction; submenu?: TrayMenuItem[] };

/** Menu lines much past 80 characters crowd the screen. */
const LINE_MAX = 80;

/**
 * The tray menu as data: the status line, Sync now (one item, or a submenu per pair), pause or
 * resume, Open, Add pair, Open log, Quit. While quitting or starting, only the status and Quit.
 */
export function trayMenu(
  m: SyncModel | null,
  stopping: boolean,
  line: string,
  platform: NodeJS.Platform,
): TrayMenuItem[] {
  const text = (s: string) => menuText(s, platform);
  const separator = { type: 'separator' } as const;
  const status: TrayMenuItem = { label: text(truncate(line, LINE_MAX)), enabled: false };
  const quit: TrayMenuItem = { label: 'Quit Tandem', action: { kind: 'quit' } };
  if (stopping || !m) return [status, separator, quit];
  // A paused pair does not apply changes, so Sync now would do nothing: say so instead.
  const state = (id: string) => m.statuses.get(id)?.state;
  const syncItem = (label: string, id: string): TrayMenuItem => ({
    label: text(state(id) === 'paused' ? `${label} (paused)` : label),
    enabled: state(id) !== 'syncing' && state(id) !== 'paused',
    action: { kind: 'syncNow', pairId: id },
  });
  const syncItems: TrayMenuItem[] =
    m.pairs.length === 1
      ? [syncItem(`Sync ${pairLabel(m.pairs[0]!)} now`, m.pairs[0]!.id)]
      : m.pairs.length > 1
        ? [{ label: 'Sync now', submenu: m.pairs.map((p) => syncItem(pairLabel(p), p.id)) }]
        : [];
  return [
    status,
    separator,
    ...syncItems,
    {
      label: m.pausedAll ? 'Resume auto-sync' : 'Pause auto-sync',
      action: { kind: 'setPausedAll', paused: !m.pausedAll },
    },
    separator,
    { label: 'Open Tandem', action: { kind: 'open' } },
    { label: 'Add pair…', action: { kind: 'addPair' } },
    // Where to look when something went wrong (cycles, errors, refusals, with their times).
    { label: 'Open log', action: { kind: 'openLog' } },
    separator,
    quit,
  ];
}
