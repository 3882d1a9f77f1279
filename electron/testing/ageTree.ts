// Gives every entry of a tree (links themselves, folders, the root; not a target's .tandem) one
// old mtime, so that nothing in it is inside the index's racy window: the state a pair's files
// are in long after they were written, which tests need and cannot wait for.
import fs from 'node:fs';

export function ageTree(root: string, whenMs: number): void {
  const t = whenMs / 1000;
  const visit = (p: Buffer, isRoot: boolean): void => {
    const st = fs.lstatSync(p);
    if (st.isDirectory())
      for (const n of fs.readdirSync(p, { encoding: 'buffer' })) {
        if (isRoot && n.toString() === '.tandem') continue;
        visit(Buffer.concat([p, Buffer.from('/'), n]), false);
      }
    // After its children: setting theirs does not move a folder's mtime, but this keeps it plain.
    fs.lutimesSync(p, t, t);
  };
  visit(Buffer.from(root), true);
}
