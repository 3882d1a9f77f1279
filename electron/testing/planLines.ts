// A plan's items as sorted comparable lines, for tests that check two ways of planning agree: a
// move as its delete and its create (one plan may find the move where another finds its halves).
import type { PlanItem } from '../shared/plan.js';

export function planLines(items: readonly PlanItem[]): string[] {
  const out: string[] = [];
  for (const i of items) {
    const c = i.conflict ? ` !${i.conflict}` : '';
    const d = i.differs ? ` [${i.differs.join(',')}]` : '';
    if (i.kind === 'rename') {
      out.push(`delete ${JSON.stringify(i.from)} t:${i.target!.id}`);
      out.push(`create ${JSON.stringify(i.path)} s:${i.source!.id}`);
      continue;
    }
    out.push(
      `${i.kind} ${JSON.stringify(i.path)}${i.source ? ` s:${i.source.id}` : ''}${i.target ? ` t:${i.target.id}` : ''}${c}${d}`,
    );
  }
  return out.sort();
}
