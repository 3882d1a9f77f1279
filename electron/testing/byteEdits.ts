// Random edits of a file's bytes for property tests (fast-check): at a place, some bytes cut and
// others inserted, as a person's edit, an insertion or a deletion moves the rest of a file.
import fc from 'fast-check';

export interface ByteEdit {
  at: number;
  cut: number;
  insert: Uint8Array;
}

/** An edit cutting and inserting at most `max` bytes each. */
export function byteEdit(max: number): fc.Arbitrary<ByteEdit> {
  return fc.record({
    at: fc.nat(),
    cut: fc.nat({ max }),
    insert: fc.uint8Array({ maxLength: max }),
  });
}

/** `old` with the edits applied in turn (each edit's place taken modulo the length then). */
export function applyEdits(old: Uint8Array, edits: readonly ByteEdit[]): Buffer {
  let data = Buffer.from(old);
  for (const e of edits) {
    const at = data.length ? e.at % (data.length + 1) : 0;
    data = Buffer.concat([
      data.subarray(0, at),
      Buffer.from(e.insert),
      data.subarray(Math.min(data.length, at + e.cut)),
    ]);
  }
  return data;
}
