// The local end of a remote pair's connection: the user's own OpenSSH client runs `tandem
// server` on the far side (DESIGN.md: no port of our own; ~/.ssh/config, the agent, keys, jump
// hosts and known_hosts all apply), and requests go over its stdin and stdout (channel.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { Channel, PROTOCOL, type Frame, type Message } from './channel.js';
import type { RemoteLocation } from '../../shared/remoteAddress.js';

export interface ConnectOptions {
  /** the ssh command and its own arguments, rsync's -e/--rsh (default ['ssh']) */
  rsh?: string[];
  /** the far side's tandem, rsync's --rsync-path (default 'tandem') */
  remoteTandem?: string;
  /** ssh compresses the connection (its -C; rsync's -z compresses its own stream instead) */
  compress?: boolean;
  /** no terminal can answer a prompt (the service): ssh's BatchMode, so it fails instead of waiting */
  batch?: boolean;
  version: string;
  /** the protocol versions to offer (tests offer others) */
  range?: { min: number; max: number };
  /**
   * ends the connection when aborted (a live pair paused or removed): ssh is stopped, every
   * request waiting fails, and the far side ends as after a dropped connection (an apply item
   * under way finishes or rolls back there)
   */
  signal?: AbortSignal;
}

/**
 * A connection that could not be made or was lost, or a request the far side refused: one
 * sentence that says what to do; `code` is the far side's kind of refusal ('refused': the pair
 * cannot be synced as asked, 'busy': another Tandem holds its lock) where it sent one.
 */
export class RemoteError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** ssh exits 255 for its own failures; a shell says 127 for a command it cannot find. */
const SSH_FAILED = 255;
const NOT_FOUND = 127;

export class RemoteConnection {
  private nextId = 1;
  private readonly replies = new Map<
    number,
    { resolve: (f: Frame) => void; reject: (e: Error) => void }
  >();
  private closed: Error | null = null;
  /** messages the far side sends on its own (progress of its apply, a watch's changes) */
  onEvent: ((m: Message) => void) | null = null;
  /** resolves, with the reason, once the connection has ended */
  ended: Promise<Error> = Promise.resolve(new RemoteError('not connected'));

  private constructor(
    private readonly child: ChildProcess,
    private readonly ch: Channel,
    /** the protocol version both sides speak */
    readonly protocol: number,
    /** the far side's Tandem version */
    readonly peerVersion: string,
  ) {}

  /** Starts ssh and greets the far side's server; rejects with a RemoteError that says why not. */
  static async open(where: RemoteLocation, opts: ConnectOptions): Promise<RemoteConnection> {
    const [cmd, ...rshArgs] = opts.rsh?.length ? opts.rsh : ['ssh'];
    const dest = where.user ? `${where.user}@${where.host}` : where.host;
    const args = [
      ...rshArgs,
      // Where no terminal can answer (the service, scripts), ssh fails instead of prompting, and
      // gives up on a host that does not answer; a link that goes dead is noticed in about 45 s
      // either way (ssh's command-line options win over the user's config).
      ...(opts.batch ? ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=30'] : []),
      ...(opts.compress ? ['-o', 'Compression=yes'] : []),
      '-o',
      'ServerAliveInterval=15',
      '-o',
      'ServerAliveCountMax=3',
      ...(where.port ? ['-p', String(where.port)] : []),
      // No escape character: the channel is binary, and a "~." in it must not end the session.
      '-e',
      'none',
      '--',
      dest,
      opts.remoteTandem ?? 'tandem',
      'server',
    ];
    opts.signal?.throwIfAborted();
    const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stop = () => child.kill();
    opts.signal?.addEventListener('abort', stop, { once: true });
    child.once('exit', () => opts.signal?.removeEventListener('abort', stop));
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => {
      child.on('exit', (code) => resolve(code));
      child.on('error', () => resolve(null));
    });
    let spawnError: Error | null = null;
    child.on('error', (e) => (spawnError = e));
    const ch = new Channel(child.stdout!, child.stdin!);
    let hello;
    try {
      hello = await ch.handshake(opts.version, opts.range ?? PROTOCOL);
    } catch (e) {
      // ssh's exit code says most (255: ssh itself, 127: no such command there).
      const code = await Promise.race([
        exited,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 2000)),
      ]);
      child.kill();
      throw explain(where, dest, opts, code, stderr, spawnError, e as Error);
    }
    const { theirs, agreed: protocol } = hello;
    if (typeof protocol === 'string') {
      child.kill();
      throw new RemoteError(`${where.host}: ${protocol}`);
    }
    const conn = new RemoteConnection(child, ch, protocol, theirs.version);
    conn.ended = conn.readLoop(exited, () => stderr);
    return conn;
  }

  /** Sends a request and resolves with its reply (an `error` reply rejects with its message). */
  async request(message: Omit<Message, 'id'>, bytes?: Buffer): Promise<Frame> {
    if (this.closed) throw this.closed;
    const id = this.nextId++;
    const reply = new Promise<Frame>((resolve, reject) =>
      this.replies.set(id, { resolve, reject }),
    );
    this.ch.send({ ...message, id } as Message, bytes);
    const f = await reply;
    if (f.message.t === 'error')
      throw new RemoteError(
        String(f.message.message),
        typeof f.message.code === 'string' ? f.message.code : undefined,
      );
    return f;
  }

  /** Resolves once what was sent has gone to ssh (send no faster than the link takes it). */
  drained(): Promise<void> {
    return this.ch.drained();
  }

  /** Bytes written to and read from ssh so far (before its encryption and compression). */
  get bytes(): { out: number; in: number } {
    return { out: this.ch.bytesOut, in: this.ch.bytesIn };
  }

  /** Ends the session: the far side's server sees its input close and exits. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const done = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill(), 5000);
    await done;
    clearTimeout(timer);
  }

  private async readLoop(exited: Promise<number | null>, stderr: () => string): Promise<Error> {
    let failure: Error;
    try {
      for (;;) {
        const f = await this.ch.next();
        if (!f) break;
        if (typeof f.message.id !== 'number') {
          this.onEvent?.(f.message);
          continue;
        }
        const id = f.message.id;
        const waiter = this.replies.get(id);
        if (!waiter) continue;
        this.replies.delete(id);
        waiter.resolve(f);
      }
      const code = await exited;
      const last = lastLine(stderr());
      failure = new RemoteError(
        `the connection to the far side ended${code ? ` (ssh exit ${code})` : ''}${last ? `: ${last}` : ''}`,
      );
    } catch (e) {
      failure = e as Error;
    }
    this.closed = failure;
    for (const w of this.replies.values()) w.reject(failure);
    this.replies.clear();
    return failure;
  }
}

function lastLine(s: string): string {
  const lines = s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines[lines.length - 1] ?? '';
}

/** Why the far side did not greet, in words a person can act on. */
function explain(
  where: RemoteLocation,
  dest: string,
  opts: ConnectOptions,
  code: number | null | undefined,
  stderr: string,
  spawnError: Error | null,
  cause: Error,
): RemoteError {
  const last = lastLine(stderr);
  const rsh = (opts.rsh?.length ? opts.rsh : ['ssh'])[0];
  if (spawnError)
    return new RemoteError(`cannot run ${rsh} to reach ${where.host}: ${spawnError.message}`);
  if (code === SSH_FAILED)
    return new RemoteError(
      `cannot reach ${dest} over ssh: ${last || 'ssh failed'}${/verification failed|denied|passphrase|password/i.test(last) ? ' (check the host key in known_hosts and that ssh can log in without a prompt, e.g. with ssh-agent)' : ''}`,
    );
  if (code === NOT_FOUND)
    return new RemoteError(
      `${where.host} has no "${opts.remoteTandem ?? 'tandem'}" to run (${last || 'command not found'}): install Tandem there, or name it with --remote-tandem PATH`,
    );
  return new RemoteError(`${where.host}: ${cause.message}${last ? ` (it said: ${last})` : ''}`);
}

/**
 * rsync's --bwlimit for a transfer: `wait()` resolves once the bytes `counted` since the first
 * call, over the time since, are at most `limit` a second (none: at once).
 */
export class Pacer {
  private start = 0;
  private from = 0;

  constructor(
    private readonly limit: number | undefined,
    private readonly counted: () => number,
  ) {}

  async wait(): Promise<void> {
    if (!this.limit) return;
    const now = performance.now();
    if (!this.start) {
      this.start = now;
      this.from = this.counted();
    }
    const due = this.start + ((this.counted() - this.from) / this.limit) * 1000;
    if (due > now) await new Promise((r) => setTimeout(r, due - now));
  }
}
