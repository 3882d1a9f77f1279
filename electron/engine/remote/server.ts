// `tandem server`: the far side of a remote pair, run by ssh with stdin and stdout as its
// channel (channel.ts). stdout carries the protocol only; anything for a person goes to stderr,
// which ssh passes back. It ends when the other side closes its end.
//
// What it answers so far: `ping` (its version and the protocol agreed) and `open` (a folder of
// its machine, resolved there: the real path, or why not). The pair's index, its scans and its
// writes come next (issue 12); a request it does not know gets an error reply, never a hang.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { Channel, PROTOCOL, type Message } from './channel.js';

export interface ServerOptions {
  version: string;
  /** the protocol versions to offer (tests offer others) */
  range?: { min: number; max: number };
}

/** Serves one connection; resolves with the exit code once the other side has closed it. */
export async function runServer(
  input: Readable,
  output: Writable,
  opts: ServerOptions,
): Promise<number> {
  const ch = new Channel(input, output);
  let hello;
  try {
    hello = await ch.handshake(opts.version, opts.range ?? PROTOCOL);
  } catch (e) {
    process.stderr.write(`tandem server: ${(e as Error).message}\n`);
    return 2;
  }
  const protocol = hello.agreed;
  if (typeof protocol === 'string') {
    ch.send({ t: 'refused', message: protocol });
    return 2;
  }
  for (;;) {
    let f;
    try {
      f = await ch.next();
    } catch (e) {
      process.stderr.write(`tandem server: ${(e as Error).message}\n`);
      return 2;
    }
    if (!f) return 0;
    ch.send(answer(f.message, opts.version, protocol));
  }
}

function answer(m: Message, version: string, protocol: number): Message {
  const id = m.id;
  try {
    switch (m.t) {
      case 'ping':
        return { id, t: 'pong', version, protocol };
      case 'open':
        return { id, t: 'opened', path: openFolder(m.path) };
      default:
        return {
          id,
          t: 'error',
          message: `this Tandem (${version}) does not know the request "${m.t}"`,
        };
    }
  } catch (e) {
    return { id, t: 'error', message: (e as Error).message };
  }
}

/** A folder of this machine as the other side named it: relative to the home, real path. */
function openFolder(p: unknown): string {
  if (typeof p !== 'string') throw new Error('open needs a path');
  const abs = path.resolve(os.homedir(), p === '' ? '.' : p);
  let real: string;
  try {
    real = fs.realpathSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `${abs} does not exist on ${os.hostname()}`
        : `cannot open ${abs} on ${os.hostname()}: ${code}`,
    );
  }
  if (!fs.statSync(real).isDirectory())
    throw new Error(`${abs} on ${os.hostname()} is not a folder`);
  return real;
}
