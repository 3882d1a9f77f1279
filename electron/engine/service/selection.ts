// Checks a Selection from a front before the service acts on it: it comes from a socket or another
// process, so it is untrusted input, and it must name what a person was shown (rows with their
// revs, or a list with its revision), never "everything pending now".
import type { ChangeKind } from '../../shared/plan.js';
import type { Selection, ShownChange, ShownList } from '../../shared/syncApi.js';

/** A call whose arguments are wrong: the front has a bug, nothing was changed. */
export class InvalidInputError extends Error {}

const KINDS: readonly ChangeKind[] = [
  'create',
  'update',
  'replaceType',
  'metadata',
  'delete',
  'rename',
];

const isString = (v: unknown): v is string => typeof v === 'string';
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(what: string): never {
  throw new InvalidInputError(`a selection needs ${what}; nothing was approved or rejected`);
}

function strings(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || !v.every(isString)) bad(what);
  return v;
}

function shownChange(v: unknown): ShownChange {
  if (!isObject(v) || !isString(v.path) || !isString(v.rev))
    bad('each change as { path, rev } from the list it was shown in');
  return { path: v.path, rev: v.rev };
}

function shownList(v: unknown): ShownList {
  if (!isObject(v) || !isString(v.listId) || !Number.isSafeInteger(v.revision))
    bad('the listId and revision of the list that was shown');
  const list: ShownList = { listId: v.listId, revision: v.revision as number };
  if (v.kinds !== undefined) {
    const kinds = strings(v.kinds, 'kinds to be a list of change kinds');
    if (!kinds.every((k) => (KINDS as readonly string[]).includes(k)))
      bad('kinds to be a list of change kinds');
    list.kinds = kinds as ChangeKind[];
  }
  if (v.conflictsOnly !== undefined) {
    if (typeof v.conflictsOnly !== 'boolean') bad('conflictsOnly to be true or false');
    list.conflictsOnly = v.conflictsOnly;
  }
  if (v.pathContains !== undefined) {
    if (!isString(v.pathContains)) bad('pathContains to be text');
    list.pathContains = v.pathContains;
  }
  if (v.except !== undefined) list.except = strings(v.except, 'except to be a list of paths');
  return list;
}

/** The Selection, checked; throws InvalidInputError with a sentence saying what is wrong. */
export function parseSelection(v: unknown): Selection {
  if (!isObject(v) || !isString(v.pairId)) bad('the pair it belongs to (pairId)');
  const hasChanges = v.changes !== undefined;
  const hasList = v.list !== undefined;
  if (hasChanges === hasList)
    bad('either the changes shown (with their revs) or the list shown (with its revision)');
  if (hasChanges) {
    if (!Array.isArray(v.changes)) bad('the changes shown as a list');
    return { pairId: v.pairId, changes: v.changes.map(shownChange) };
  }
  return { pairId: v.pairId, list: shownList(v.list) };
}
