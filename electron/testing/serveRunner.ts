// `tandem serve` as a real child process for integration tests: its own TANDEM_HOME and process
// group (so a crash test can kill it and whatever it started), the link it prints, and a
// SyncClient over its WebSocket, generated from the contract like the UI's own.
// No vitest import: engine code and benchmarks may use it too.
import type { ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import { createRpcClient, type RpcMessage, type SyncClient } from '../shared/rpc.js';
import { spawnCli } from './cliRunner.js';

export interface ServeRun {
  url: string;
  port: number;
  token: string;
  child: ChildProcess;
  /** what it wrote to stderr so far */
  stderr(): string;
  /** resolves when the process has exited */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `tandem serve --port 0` on `home`; resolves with the link once it is printed. */
export function startServe(home: string, timeoutMs = 60_000): Promise<ServeRun> {
  const child = spawnCli(['serve', '--port', '0'], { home, detached: true });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`tandem serve printed no link in ${timeoutMs} ms: ${out}${err}`));
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:(\d+)\/\?token=(\S+))/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        url: m[1]!,
        port: Number(m[2]),
        token: m[3]!,
        child,
        stderr: () => err,
        exited,
      });
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`tandem serve exited (${signal ?? code}) before printing its link: ${err}`));
    });
  });
}

/** SIGKILL to the daemon's whole process group (it runs detached); no-op once it has exited. */
export function killGroup(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // it exited in between
  }
}

/** Stops it as Ctrl-C would (it finishes a write in progress); resolves once it has exited. */
export async function stopServe(run: ServeRun): Promise<void> {
  if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGINT');
  await run.exited;
}

export interface ApiConnection {
  client: SyncClient;
  close(): void;
}

/** A SyncClient over the daemon's WebSocket, authorised by its token as a Bearer header. */
export function connectApi(run: Pick<ServeRun, 'port' | 'token'>): Promise<ApiConnection> {
  const ws = new WebSocket(`ws://127.0.0.1:${run.port}/api`, {
    headers: { Authorization: `Bearer ${run.token}` },
  });
  const rpc = createRpcClient((call) => ws.send(JSON.stringify(call)));
  ws.on('message', (d) => rpc.receive(JSON.parse(String(d)) as RpcMessage));
  ws.on('close', () => rpc.disconnect('the daemon closed the connection'));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ client: rpc.client, close: () => ws.close() }));
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`the daemon refused the WebSocket: HTTP ${res.statusCode}`)),
    );
    ws.once('error', reject);
  });
}
