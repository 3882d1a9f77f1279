// The wire between a local Tandem and the `tandem server` on the far side of an ssh connection
// (DESIGN.md, "Remote pairs"): the two sides greet each other with one line of text, then speak
// in frames.
//
// The greeting comes first, as a line, for the reason rsync's users know as "is your shell
// clean?": whatever the far side's login shell prints before the server starts (a banner, an rc
// file's echo, "command not found") arrives before the first byte of the protocol. A line is
// read up to a limit and checked for Tandem's word, so such output becomes a sentence that shows
// what was printed instead of a hang or a garbled frame.
//
//   greeting  "TANDEM <min>-<max> <app version>\n": the protocol versions this side speaks
//   frame     u32 big-endian length of what follows, one byte of kind, the payload
//             kind 0: a JSON message ({id, t, ...}); kind 1: a message with raw bytes (chunk
//             data): u32 length of its JSON, the JSON, the bytes; kind 2: a JSON message,
//             deflated (long ones: listings, plans)
//
// Each side sends its greeting at once and reads the other's; both then use the highest version
// both speak, or close with a message naming both ranges and versions.
import type { Readable, Writable } from 'node:stream';
import zlib from 'node:zlib';

/** The protocol versions this build speaks. */
export const PROTOCOL = { min: 1, max: 3 } as const;
/**
 * The first protocol whose far side can be the source (openSource, scanSource, read, deltaFrom,
 * xattrs), browse its folders, list and restore its versions, and keep -X/-A attributes.
 */
export const PROTOCOL_SOURCE = 2;
/** The first protocol whose deltas may be content-defined (cdc.ts): a `cdc` signature and delta. */
export const PROTOCOL_CDC = 3;
/** The first protocol whose far side watches a source folder for the other side (farWatch.ts). */
export const PROTOCOL_WATCH = 3;

const WORD = 'TANDEM';
/** A greeting is short; anything longer is not one (a banner, a shell's chatter). */
const GREETING_MAX = 512;
/** A frame larger than this is not a frame of ours: 64 MiB of chunk data at most, plus headroom. */
export const FRAME_MAX = 80 * 1024 * 1024;
const KIND_JSON = 0;
const KIND_BYTES = 1;
/** kind 2: a JSON message, deflated (zlib's raw deflate) */
const KIND_DEFLATED = 2;
/**
 * A message's JSON longer than this is deflated: a folder's listing is mostly names and numbers
 * that repeat (a 100-file folder's listing shrinks to about half); a short one gains nothing.
 */
const DEFLATE_FROM = 2048;
/** What a deflated message may inflate to: a frame's size, as for any message. */
const INFLATE_MAX = FRAME_MAX;

export interface Greeting {
  min: number;
  max: number;
  version: string;
}

export function greetingLine(
  version: string,
  range: { min: number; max: number } = PROTOCOL,
): string {
  return `${WORD} ${range.min}-${range.max} ${version}\n`;
}

export function parseGreeting(line: string): Greeting | null {
  const m = /^TANDEM (\d{1,4})-(\d{1,4}) (\S{1,64})$/.exec(line);
  if (!m) return null;
  const min = Number(m[1]);
  const max = Number(m[2]);
  if (min > max) return null;
  return { min, max, version: m[3]! };
}

/** The version both speak (the highest), or the sentence that says why there is none. */
export function agree(ours: Greeting, theirs: Greeting): number | string {
  const v = Math.min(ours.max, theirs.max);
  if (v >= Math.max(ours.min, theirs.min)) return v;
  const range = (g: Greeting) =>
    g.min === g.max ? `protocol ${g.min}` : `protocols ${g.min}–${g.max}`;
  return `this Tandem (${ours.version}) speaks ${range(ours)} and the far side's (${theirs.version}) ${range(theirs)}: install the same version of Tandem on both machines`;
}

/** Raised for anything the far side sent that is not Tandem's protocol. */
export class ProtocolError extends Error {}

/** Shown text of bytes a person must read: control bytes escaped, cut short. */
function shown(b: Buffer): string {
  const s = b
    .toString('utf8')
    // eslint-disable-next-line no-control-regex
    .replace(/[\x00-\x1f\x7f]/g, (c) =>
      c === '\n' ? '\\n' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
    );
  return s.length > 120 ? `${s.slice(0, 120)}…` : s;
}

export interface Message {
  id?: number;
  t: string;
  [key: string]: unknown;
}

export interface Frame {
  message: Message;
  /** the raw bytes that followed it (kind 1), if any */
  bytes?: Buffer;
}

/**
 * One side of a connection: reads the other side's greeting, then its frames, from `input`,
 * and writes frames to `output`. `next()` resolves with each frame in order, or null at the end.
 */
export class Channel {
  private buf: Buffer = Buffer.alloc(0);
  /** pieces read past `buf` while a large frame is still arriving (joined once it is whole) */
  private pieces: Buffer[] = [];
  private piecesLength = 0;
  /** bytes this side has written and read, greeting and frame heads included (bytes on the wire
   * before ssh's own encryption and compression) */
  bytesOut = 0;
  bytesIn = 0;
  private greeted: Greeting | null = null;
  private ended = false;
  private failure: Error | null = null;
  private waiting: (() => void) | null = null;
  private readonly queue: Frame[] = [];

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
  ) {
    input.on('data', (d: Buffer) => {
      this.bytesIn += d.length;
      // A 16 MiB chunk comes in 64 KiB reads: the pieces are joined once, when the frame is
      // whole, not at every read (which copied the frame hundreds of times).
      this.pieces.push(d);
      this.piecesLength += d.length;
      if (this.buf.length + this.piecesLength < this.needed()) return;
      this.buf = Buffer.concat([this.buf, ...this.pieces]);
      this.pieces = [];
      this.piecesLength = 0;
      this.parse();
      this.wake();
    });
    input.on('end', () => {
      if (this.piecesLength) {
        this.buf = Buffer.concat([this.buf, ...this.pieces]);
        this.pieces = [];
        this.piecesLength = 0;
        this.parse();
      }
      this.ended = true;
      this.wake();
    });
    // Destroyed (the far side's server ends its loop on a hangup): the end, like 'end'.
    input.on('close', () => {
      this.ended = true;
      this.wake();
    });
    input.on('error', (e) => {
      this.failure ??= e;
      this.wake();
    });
    // A write to a far side that is already gone (ssh exited: no such host, a refused key) fails
    // with EPIPE. Without a listener that is an uncaught error that kills this process; with one,
    // the reading side sees the end, and the connection says why ssh ended, in its own sentence.
    output.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') this.failure ??= e;
      this.wake();
    });
  }

  /** Sends this side's greeting. */
  greet(version: string, range: { min: number; max: number } = PROTOCOL): void {
    this.write(Buffer.from(greetingLine(version, range), 'utf8'));
  }

  /** How many bytes `buf` must hold before parsing can make progress. */
  private needed(): number {
    if (!this.greeted || this.buf.length < 4) return 1;
    const len = this.buf.readUInt32BE(0);
    return len < 1 || len > FRAME_MAX ? 1 : 4 + len; // a bad length fails in parse()
  }

  private write(b: Buffer): void {
    this.bytesOut += b.length;
    this.output.write(b);
  }

  /** Resolves once what was sent has left this process's buffers (ssh's stdin took it). */
  drained(): Promise<void> {
    if (!this.output.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.output.off('drain', done);
        this.output.off('close', done);
        this.output.off('error', done);
        resolve();
      };
      this.output.on('drain', done);
      this.output.on('close', done);
      this.output.on('error', done);
    });
  }

  /**
   * Greets, reads the other side's greeting, and agrees on a version: the version, or the
   * sentence that says why there is none (rejects when what came is no greeting).
   */
  async handshake(
    version: string,
    range: { min: number; max: number } = PROTOCOL,
  ): Promise<{ theirs: Greeting; agreed: number | string }> {
    this.greet(version, range);
    const theirs = await this.greeting();
    return { theirs, agreed: agree({ ...range, version }, theirs) };
  }

  /** The other side's greeting, once it has come (rejects on anything else). */
  async greeting(): Promise<Greeting> {
    for (;;) {
      if (this.greeted) return this.greeted;
      this.check();
      await this.wait();
    }
  }

  send(message: Message, bytes?: Buffer): void {
    const json = Buffer.from(JSON.stringify(message), 'utf8');
    if (!bytes) {
      if (json.length > DEFLATE_FROM) {
        const packed = zlib.deflateRawSync(json, { level: 6 });
        if (packed.length < json.length) {
          this.write(Buffer.concat([frameHead(KIND_DEFLATED, packed.length), packed]));
          return;
        }
      }
      this.write(Buffer.concat([frameHead(KIND_JSON, json.length), json]));
      return;
    }
    if (4 + json.length + bytes.length + 1 > FRAME_MAX)
      throw new ProtocolError(`a message of ${bytes.length} bytes is larger than a frame may be`);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(json.length, 0);
    this.write(Buffer.concat([frameHead(KIND_BYTES, 4 + json.length + bytes.length), len, json]));
    this.write(bytes);
  }

  /** The next frame, or null once the other side has closed its end. */
  async next(): Promise<Frame | null> {
    for (;;) {
      const f = this.queue.shift();
      if (f) return f;
      if (this.failure) throw this.failure;
      if (this.ended) {
        if (!this.greeted) this.check();
        if (this.buf.length)
          throw new ProtocolError('the far side closed the connection in the middle of a message');
        return null;
      }
      await this.wait();
    }
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.ended && !this.greeted)
      throw new ProtocolError(
        this.buf.length
          ? `the far side printed "${shown(this.buf)}" and closed, instead of greeting as Tandem does`
          : 'the far side closed the connection before greeting',
      );
  }

  private parse(): void {
    if (!this.greeted) {
      const nl = this.buf.indexOf(0x0a);
      if (nl < 0) {
        if (this.buf.length > GREETING_MAX) this.fail(this.notGreeting(this.buf));
        return;
      }
      const line = this.buf.subarray(0, nl);
      const g = parseGreeting(line.toString('utf8'));
      if (!g) {
        this.fail(this.notGreeting(this.buf.subarray(0, Math.min(this.buf.length, GREETING_MAX))));
        return;
      }
      this.greeted = g;
      this.buf = this.buf.subarray(nl + 1);
    }
    while (this.buf.length >= 5) {
      const len = this.buf.readUInt32BE(0);
      if (len < 1 || len > FRAME_MAX) {
        this.fail(
          new ProtocolError(`the far side sent a frame of ${len} bytes, which Tandem never sends`),
        );
        return;
      }
      if (this.buf.length < 4 + len) return;
      let kind = this.buf[4]!;
      let payload = this.buf.subarray(5, 4 + len);
      this.buf = this.buf.subarray(4 + len);
      if (kind === KIND_DEFLATED) {
        try {
          payload = zlib.inflateRawSync(payload, { maxOutputLength: INFLATE_MAX });
        } catch {
          this.fail(
            new ProtocolError('the far side sent a deflated message that does not inflate'),
          );
          return;
        }
        kind = KIND_JSON;
      }
      if (kind !== KIND_JSON && kind !== KIND_BYTES) {
        this.fail(
          new ProtocolError(`the far side sent a frame of kind ${kind}, which Tandem never sends`),
        );
        return;
      }
      const jsonLen =
        kind === KIND_JSON ? payload.length : payload.length >= 4 ? payload.readUInt32BE(0) : -1;
      const jsonAt = kind === KIND_JSON ? 0 : 4;
      if (jsonLen < 0 || jsonAt + jsonLen > payload.length) {
        this.fail(new ProtocolError('the far side sent a message cut short'));
        return;
      }
      let message: Message;
      try {
        message = JSON.parse(payload.toString('utf8', jsonAt, jsonAt + jsonLen)) as Message;
      } catch {
        this.fail(new ProtocolError('the far side sent a message that is not JSON'));
        return;
      }
      if (typeof message !== 'object' || message === null || typeof message.t !== 'string') {
        this.fail(new ProtocolError('the far side sent a message without a type'));
        return;
      }
      this.queue.push(
        kind === KIND_JSON
          ? { message }
          : { message, bytes: Buffer.from(payload.subarray(jsonAt + jsonLen)) },
      );
    }
  }

  private notGreeting(b: Buffer): ProtocolError {
    return new ProtocolError(
      `the far side printed "${shown(b)}" instead of greeting as Tandem does: is Tandem installed there (--remote-tandem PATH names it), and does its login shell print nothing for a command?`,
    );
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.buf = Buffer.alloc(0);
  }

  private wait(): Promise<void> {
    return new Promise((r) => (this.waiting = r));
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.();
  }
}

function frameHead(kind: number, payloadLength: number): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payloadLength + 1, 0);
  head[4] = kind;
  return head;
}
