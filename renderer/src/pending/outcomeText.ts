// What an approve or reject did, in one or two sentences: how many changes it took, and which
// were left alone because they moved on since the person saw them (they stay pending, unapproved).
import type { SelectionOutcome } from '../contract.js';
import { plural } from '../format.js';

const NAMED = 3;

export function outcomeText(verb: 'approve' | 'reject', o: SelectionOutcome): string {
  const parts: string[] = [];
  if (verb === 'approve') parts.push(`Approved ${plural(o.done, 'change')}.`);
  else
    parts.push(
      o.done > 0
        ? `Rejected ${plural(o.done, 'change')}; they stay off the list until they change again.`
        : 'Rejected no changes.',
    );
  if (o.changedCount > 0) {
    const one = o.changedCount === 1;
    const names = o.changed.slice(0, NAMED).join(', ');
    const more =
      o.changedCount > NAMED ? ` and ${(o.changedCount - NAMED).toLocaleString()} more` : '';
    parts.push(
      `${plural(o.changedCount, 'change')} ${one ? 'was' : 'were'} not ${verb === 'approve' ? 'approved' : 'rejected'} because ${one ? 'it' : 'they'} changed since you looked (${names}${more}); ${one ? 'it is' : 'they are'} still pending: check ${one ? 'it' : 'them'} again.`,
    );
  }
  if (o.gone > 0)
    parts.push(`${plural(o.gone, 'change')} ${o.gone === 1 ? 'was' : 'were'} no longer pending.`);
  return parts.join(' ');
}
