// A pair's mode as its indexes record it. A two-way pair marks both of its indexes (one per side:
// each side is the target of one of them); a one-way run refuses a pair so marked unless a person
// confirms the change, which unmarks both and drops the two-way baseline, so that going two-way
// again starts from the mirror's own baseline and asks again.
import { IdentifierIndex } from '../core/index/identifierIndex.js';
import { indexFileOf, pairKey } from './pair.js';
import fs from 'node:fs';

/** The meta value of a two-way pair's indexes. */
export const TWO_WAY = 'twoWay';
export const MIRROR = 'mirror';

/** Makes a two-way pair one-way: `index` is the one-way run's own, the other side's is found. */
export function leaveTwoWay(
  index: IdentifierIndex,
  home: string,
  source: string,
  target: string,
): void {
  index.setMeta('mode', MIRROR);
  index.clearTwoWayBase();
  const other = indexFileOf(home, pairKey(target, source));
  if (!fs.existsSync(other)) return;
  const idx = new IdentifierIndex(other);
  try {
    idx.setMeta('mode', MIRROR);
    idx.clearTwoWayBase();
  } finally {
    idx.close();
  }
}
