import { describe, expect, it } from 'vitest';
import { escapeName, escapeRawBytes, nameParts } from './names.js';

describe('showing names', () => {
  it('shows raw bytes and control characters as \\#ooo, like rsync', () => {
    expect(escapeName('caf\udce9')).toBe('caf\\#351');
    expect(escapeName('new\nline\ttab\u007f')).toBe('new\\#012line\\#011tab\\#177');
    expect(escapeName('c1\u0085')).toBe('c1\\#302\\#205');
    expect(escapeName('dir\udcff/in\u0001side')).toBe('dir\\#377/in\\#001side');
  });

  it('leaves printable names alone, including astral characters whose halves look like escapes', () => {
    for (const s of ['plain.txt', 'café ☃', '\u{1f080} tile', 'back\\slash', 'a#b']) {
      expect(escapeName(s)).toBe(s);
    }
  });

  it('escapes a backslash that would read as an escape, so the shown form is unambiguous', () => {
    expect(escapeName('a\\#351')).toBe('a\\#134#351');
    expect(escapeName('a\\#351')).not.toBe(escapeName('a\udce9'));
  });

  it('splits a name into text and marked escapes for the UI', () => {
    expect(nameParts('ab\udce9\udcffc')).toEqual([
      { text: 'ab', escaped: false },
      { text: '\\#351\\#377', escaped: true },
      { text: 'c', escaped: false },
    ]);
  });

  it('in messages, escapes only the raw bytes', () => {
    expect(escapeRawBytes('cannot read caf\udce9: EIO\n')).toBe('cannot read caf\\#351: EIO\n');
    expect(escapeRawBytes('\u{1f080}')).toBe('\u{1f080}');
  });
});
