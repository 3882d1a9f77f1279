// The channel's greeting and frames over in-memory streams: what the far side's shell may print
// before the server starts becomes a sentence, frames arrive whole however the bytes are cut, and
// versions that do not meet say which do.
import { PassThrough, Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  agree,
  Channel,
  FRAME_MAX,
  greetingLine,
  parseGreeting,
  PROTOCOL,
  ProtocolError,
} from './channel.js';

/** A channel reading what the test writes into `wire`, and writing into `out`. */
function reader(): { wire: PassThrough; ch: Channel; out: PassThrough } {
  const wire = new PassThrough();
  const out = new PassThrough();
  return { wire, ch: new Channel(wire, out), out };
}

/** The bytes another Channel's send() writes, for the test to cut as it likes. */
function encoded(msgs: { m: Record<string, unknown>; bytes?: Buffer }[]): Buffer {
  const out = new PassThrough();
  const ch = new Channel(new PassThrough(), out);
  ch.greet('9.9.9');
  for (const { m, bytes } of msgs) ch.send({ t: 'x', ...m }, bytes);
  const parts: Buffer[] = [];
  let b: Buffer | null;
  while ((b = out.read() as Buffer | null) !== null) parts.push(b);
  return Buffer.concat(parts);
}

describe('greeting', () => {
  it('reads back what it writes, and nothing else', () => {
    expect(parseGreeting(greetingLine('0.1.0').trimEnd())).toEqual({
      ...PROTOCOL,
      version: '0.1.0',
    });
    for (const bad of [
      '',
      'TANDEM',
      'TANDEM 2-1 x',
      'tandem 1-1 x',
      'TANDEM 1-1',
      'Welcome to nas',
      'TANDEM 1-1 a b',
    ])
      expect(parseGreeting(bad), bad).toBeNull();
  });

  it.each([
    [{ min: 1, max: 3 }, { min: 2, max: 5 }, 3],
    [{ min: 1, max: 1 }, { min: 1, max: 1 }, 1],
    [{ min: 4, max: 4 }, { min: 1, max: 4 }, 4],
  ])('agrees on the highest version both speak: %j and %j give %i', (a, b, v) => {
    expect(agree({ ...a, version: 'a' }, { ...b, version: 'b' })).toBe(v);
  });

  it('says which versions meet when none does', () => {
    const said = agree({ min: 1, max: 1, version: '0.1.0' }, { min: 2, max: 3, version: '0.4.0' });
    expect(said).toBe(
      "this Tandem (0.1.0) speaks protocol 1 and the far side's (0.4.0) protocols 2–3: install the same version of Tandem on both machines",
    );
  });

  it('turns a banner before the greeting into a sentence that shows it', async () => {
    const { wire, ch } = reader();
    wire.write('Welcome to the NAS!\nTANDEM 1-1 0.1.0\n');
    await expect(ch.greeting()).rejects.toThrow(
      /the far side printed "Welcome to the NAS!\\n.*" instead of greeting as Tandem does: is Tandem installed there/,
    );
  });

  it('refuses a line too long to be a greeting without waiting for its end', async () => {
    const { wire, ch } = reader();
    wire.write('x'.repeat(10_000));
    await expect(ch.greeting()).rejects.toBeInstanceOf(ProtocolError);
  });

  it('says what the far side printed when it closes without greeting', async () => {
    const { wire, ch } = reader();
    wire.end('sh: 1: tandem: not found');
    await expect(ch.greeting()).rejects.toThrow(/printed "sh: 1: tandem: not found" and closed/);
  });

  it('takes a far side gone before the greeting (EPIPE) as its end, not as a crash', async () => {
    const wire = new PassThrough();
    // ssh that exited at once: every write to its stdin fails with EPIPE.
    const gone = new Writable({
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const ch = new Channel(wire, gone);
    const shaking = ch.handshake('0.1.0');
    wire.end('ssh: Could not resolve hostname nas');
    await expect(shaking).rejects.toThrow(/printed "ssh: Could not resolve hostname nas"/);
  });
});

describe('frames', () => {
  it('deflates a long message and reads it back; refuses one that does not inflate', async () => {
    const long = { list: Array.from({ length: 400 }, (_, i) => [`photo-${i}.jpg`, 0, i * 7]) };
    const data = encoded([{ m: long }]);
    expect(data.length).toBeLessThan(JSON.stringify(long).length / 2);
    const { wire, ch } = reader();
    wire.end(data);
    await ch.greeting();
    expect((await ch.next())?.message).toEqual({ t: 'x', ...long });

    const bad = reader();
    const junk = Buffer.from('not deflate at all');
    const head = Buffer.alloc(5);
    head.writeUInt32BE(junk.length + 1, 0);
    head[4] = 2;
    bad.wire.end(Buffer.concat([Buffer.from('TANDEM 1-1 9.9.9\n'), head, junk]));
    await bad.ch.greeting();
    await expect(bad.ch.next()).rejects.toThrow(/does not inflate/);
  });

  it('arrive whole and in order however the bytes are cut, raw bytes with their message', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            m: fc.record({ n: fc.integer(), s: fc.string({ maxLength: 5000 }) }),
            bytes: fc.option(fc.uint8Array({ maxLength: 3000 }), { nil: undefined }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }),
        async (msgs, cuts) => {
          const data = encoded(
            msgs.map((x) => ({ m: x.m, ...(x.bytes ? { bytes: Buffer.from(x.bytes) } : {}) })),
          );
          const { wire, ch } = reader();
          let at = 0;
          for (let k = 0; at < data.length; k++) {
            const n = cuts[k % cuts.length]!;
            wire.write(data.subarray(at, at + n));
            at += n;
          }
          wire.end();
          expect(await ch.greeting()).toEqual({ ...PROTOCOL, version: '9.9.9' });
          for (const x of msgs) {
            const f = await ch.next();
            expect(f?.message).toEqual({ t: 'x', ...x.m });
            if (x.bytes) expect(f?.bytes?.equals(Buffer.from(x.bytes))).toBe(true);
            else expect(f?.bytes).toBeUndefined();
          }
          expect(await ch.next()).toBeNull();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a frame larger than Tandem sends, and a message that is not JSON', async () => {
    const big = reader();
    const head = Buffer.alloc(5);
    head.writeUInt32BE(FRAME_MAX + 1, 0);
    big.wire.write(Buffer.concat([Buffer.from(greetingLine('1')), head]));
    await expect(big.ch.next()).rejects.toThrow(/a frame of \d+ bytes, which Tandem never sends/);

    const junk = reader();
    const h = Buffer.alloc(5);
    h.writeUInt32BE(4, 0);
    junk.wire.write(Buffer.concat([Buffer.from(greetingLine('1')), h, Buffer.from('{{{')]));
    await expect(junk.ch.next()).rejects.toThrow(/not JSON/);
  });

  it('says a connection cut in the middle of a frame was cut', async () => {
    const { wire, ch } = reader();
    const data = encoded([{ m: { n: 1, s: 'hello' } }]);
    wire.end(data.subarray(0, data.length - 2));
    await ch.greeting();
    await expect(ch.next()).rejects.toThrow(/closed the connection in the middle of a message/);
  });
});
