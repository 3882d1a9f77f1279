// A real OpenSSH server for remote-pair tests: Debian's sshd in the foreground on 127.0.0.1, with
// its own temp folder, generated host and user keys, and an ssh client config that checks the
// host key strictly. It runs as whoever runs the tests (root in CI, or a normal user) and touches
// no system file, except that as root it creates sshd's privilege-separation folder /run/sshd.
//
// The far side's environment: sshd's `SetEnv` gives every session a PATH that starts with the
// folder of this Node (process.execPath), so `node` and scripts starting `#!/usr/bin/env node`
// (bin/tandem.js, a `--remote-tandem` path) run there with the same Node as the tests; and a
// TANDEM_HOME in the temp folder, so the far side's tandem never writes the real user's state.
// (An absolute Node path in each command would not reach a script's shebang, hence SetEnv.) The
// user's login shell still runs each command, and its rc files may add to that PATH.
// No vitest import: engine code and benchmarks may use it too.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { removeTree } from './sandbox.js';

const SSHD = '/usr/sbin/sshd';
const HOST_ALIAS = 'tandem-test';

/** Why sshd cannot be started here, or null when it can. */
export function sshdUnavailableReason(): string | null {
  try {
    fs.accessSync(SSHD, fs.constants.X_OK);
  } catch {
    return `${SSHD} is missing (apt-get install openssh-server)`;
  }
  for (const tool of ['ssh', 'ssh-keygen']) {
    const r = spawnSync(tool, ['-V'], { stdio: 'ignore' });
    if (r.error) return `${tool} cannot run (${r.error.message}; apt-get install openssh-client)`;
  }
  let user: os.UserInfo<string>;
  try {
    user = os.userInfo();
  } catch (e) {
    return `uid ${process.getuid?.()} has no passwd entry, so sshd cannot log it in (${String(e)})`;
  }
  if (!user.shell || /(nologin|false)$/.test(user.shell))
    return `${user.username}'s login shell is ${user.shell ?? 'unset'}: sshd runs commands through it`;
  return null;
}

/**
 * Why the ssh tests should skip, or null when they should run. Under TANDEM_REQUIRE_SSH=1 (CI)
 * they never skip: they run, and startSshd fails them with the reason.
 */
export function sshdSkipReason(): string | null {
  if (process.env.TANDEM_REQUIRE_SSH === '1') return null;
  return sshdUnavailableReason();
}

export interface SshRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  /** another client config (from writeClientConfig); default the harness's own */
  configFile?: string;
  /** written to the command's stdin, which is otherwise /dev/null */
  input?: string | Buffer;
  /** kill ssh after this long and reject (default 30 s) */
  timeoutMs?: number;
}

export interface ClientConfigOptions {
  /** known_hosts content to trust instead of a line holding the server's own host key */
  knownHosts?: string;
  /** a private key to offer instead of the authorized one */
  identityFile?: string;
}

export interface SshdHandle {
  /** the Host alias of the client config: `ssh -F configFile tandem-test`, `tandem-test:/path` */
  host: string;
  /** the client config file */
  configFile: string;
  port: number;
  /** the harness's temp folder (keys, configs, logs, the far side's TANDEM_HOME) */
  dir: string;
  /** TANDEM_HOME of every session on the far side */
  remoteHome: string;
  /** ssh's arguments before the host: ['-F', configFile] */
  sshArgs(): string[];
  /** runs `cmd` through the far side's login shell: `ssh -F configFile tandem-test cmd` */
  run(cmd: string, opts?: RunOptions): Promise<SshRun>;
  /** a second client config for the same server, with one thing changed (for refusal tests) */
  writeClientConfig(name: string, opts: ClientConfigOptions): string;
  /** what sshd has logged so far (it runs with -e) */
  log(): string;
  /** stops sshd and every session it started, then removes the temp folder */
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** more variables for every far-side session (SetEnv), on top of PATH and TANDEM_HOME */
  env?: Record<string, string>;
  /** how long to wait for sshd to accept a login (default 15 s) */
  readyTimeoutMs?: number;
  /**
   * where sshd listens (default 127.0.0.1) and what runs it (default nothing): the remote
   * benchmark runs it in a network namespace behind a rate-limited veth pair, with
   * `['ip', 'netns', 'exec', NAME]` and that namespace's address
   */
  address?: string;
  wrap?: string[];
}

/** Makes an ed25519 key pair, no passphrase, at `file` and `file.pub`; returns the public line. */
export function generateKeyPair(file: string, comment = 'tandem-test'): string {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], {
    encoding: 'utf8',
  });
  if (r.error || r.status !== 0)
    throw new Error(`ssh-keygen could not make ${file}: ${r.error?.message ?? r.stderr.trim()}`);
  return fs.readFileSync(`${file}.pub`, 'utf8').trim();
}

/** Starts sshd on a free port of 127.0.0.1 and resolves once a login with the key succeeds. */
export async function startSshd(opts: SshdOptions = {}): Promise<SshdHandle> {
  const unavailable = sshdUnavailableReason();
  if (unavailable) throw new Error(`cannot start sshd for the tests: ${unavailable}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-sshd-'));
  // Config files quote paths, and ssh expands % in some of them: keep both out.
  if (/["%\s]/.test(dir)) throw new Error(`the temp folder ${dir} holds a quote, % or space`);
  try {
    return await startIn(dir, opts);
  } catch (e) {
    removeTree(dir);
    throw e;
  }
}

async function startIn(dir: string, opts: SshdOptions): Promise<SshdHandle> {
  if (process.getuid?.() === 0 && !fs.existsSync('/run/sshd'))
    fs.mkdirSync('/run/sshd', { mode: 0o755 });
  const user = os.userInfo().username;
  const hostKey = path.join(dir, 'host_ed25519');
  const hostPub = generateKeyPair(hostKey, 'tandem-test host');
  const userKey = path.join(dir, 'user_ed25519');
  const authorizedKeys = path.join(dir, 'authorized_keys');
  fs.writeFileSync(authorizedKeys, `${generateKeyPair(userKey)}\n`, { mode: 0o600 });
  const remoteHome = path.join(dir, 'remote-home');
  fs.mkdirSync(remoteHome);
  const nodeFirst = [path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'];
  const env = {
    PATH: [...new Set(nodeFirst)].join(':'),
    TANDEM_HOME: remoteHome,
    ...opts.env,
  };
  const address = opts.address ?? '127.0.0.1';
  const knownHostsLine = (port: number) => `[${address}]:${port} ${hostPub}\n`;
  const writeClient = (file: string, port: number, c: Required<ClientConfigOptions>): void => {
    const knownHosts = `${file}.known_hosts`;
    fs.writeFileSync(knownHosts, c.knownHosts);
    fs.writeFileSync(file, clientConfig(user, address, port, c.identityFile, knownHosts), {
      mode: 0o600,
    });
  };

  // A free port is found by binding port 0; another process may take it before sshd binds it,
  // so a bind failure tries another.
  let sshd: StartedSshd | undefined;
  let port = 0;
  for (let attempt = 1; !sshd; attempt++) {
    port = await freePort();
    const config = path.join(dir, 'sshd_config');
    fs.writeFileSync(
      config,
      serverConfig({
        address,
        port,
        user,
        hostKey,
        authorizedKeys,
        pidFile: path.join(dir, 'sshd.pid'),
        env,
      }),
    );
    const started = await spawnSshd(config, address, port, opts.wrap ?? []);
    if (started.ok) sshd = started.sshd;
    else if (!started.portTaken || attempt >= 5) throw new Error(started.message);
  }

  const configFile = path.join(dir, 'ssh_config');
  writeClient(configFile, port, { knownHosts: knownHostsLine(port), identityFile: userKey });
  const run = (cmd: string, o: RunOptions = {}) =>
    runSsh(['-F', o.configFile ?? configFile, HOST_ALIAS, cmd], o);
  const live = sshd;
  const stopped = onceStop(live, dir);
  try {
    await waitForLogin(run, live, opts.readyTimeoutMs ?? 15_000);
  } catch (e) {
    await stopped();
    throw e;
  }
  return {
    host: HOST_ALIAS,
    configFile,
    port,
    dir,
    remoteHome,
    sshArgs: () => ['-F', configFile],
    run,
    writeClientConfig: (name, c) => {
      if (!/^[\w.-]+$/.test(name))
        throw new Error(`client config name ${name} is not a plain name`);
      const file = path.join(dir, `ssh_config.${name}`);
      writeClient(file, port, {
        knownHosts: c.knownHosts ?? knownHostsLine(port),
        identityFile: c.identityFile ?? userKey,
      });
      return file;
    },
    log: () => live.log(),
    stop: stopped,
  };
}

function serverConfig(c: {
  address: string;
  port: number;
  user: string;
  hostKey: string;
  authorizedKeys: string;
  pidFile: string;
  env: Record<string, string>;
}): string {
  const setEnv = Object.entries(c.env).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || /["\n\\]/.test(v))
      throw new Error(`cannot pass ${k}=${v} to sshd's SetEnv (a plain name, no quote or newline)`);
    return `"${k}=${v}"`;
  });
  return [
    `ListenAddress ${c.address}:${c.port}`,
    `HostKey "${c.hostKey}"`,
    `PidFile "${c.pidFile}"`,
    `AuthorizedKeysFile "${c.authorizedKeys}"`,
    // Only the user running the tests, only by key; root (CI) too, by key.
    `AllowUsers ${c.user}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'UsePAM no',
    // Temp folders may have loose modes, which StrictModes would refuse.
    'StrictModes no',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'X11Forwarding no',
    'PermitUserEnvironment no',
    // Kill tests open connections in quick succession: do not throttle unauthenticated ones.
    'MaxStartups 100',
    'LogLevel INFO',
    `SetEnv ${setEnv.join(' ')}`,
    '',
  ].join('\n');
}

function clientConfig(
  user: string,
  address: string,
  port: number,
  identity: string,
  knownHosts: string,
): string {
  return [
    `Host ${HOST_ALIAS}`,
    `  HostName ${address}`,
    `  Port ${port}`,
    `  User ${user}`,
    `  IdentityFile "${identity}"`,
    // Neither the user's agent nor their own keys: only the key named above.
    '  IdentitiesOnly yes',
    '  IdentityAgent none',
    // Host-key checking stays on, against the generated key only.
    `  UserKnownHostsFile "${knownHosts}"`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  CheckHostIP no',
    '  UpdateHostKeys no',
    // No terminal may prompt: a missing key or host key is an error at once.
    '  BatchMode yes',
    '  ConnectTimeout 10',
    '  ControlMaster no',
    '  ControlPath none',
    '  ForwardAgent no',
    '  LogLevel ERROR',
    '',
  ].join('\n');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

interface StartedSshd {
  child: ChildProcess;
  exited: Promise<void>;
  log(): string;
}

type SpawnResult =
  { ok: true; sshd: StartedSshd } | { ok: false; portTaken: boolean; message: string };

/** Spawns sshd and waits for it to say it listens, or to exit. */
function spawnSshd(
  config: string,
  address: string,
  port: number,
  wrap: string[],
): Promise<SpawnResult> {
  const [cmd, ...args] = [...wrap, SSHD, '-D', '-e', '-f', config];
  const child = spawn(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const sshd: StartedSshd = { child, exited, log: () => log };
  return new Promise((resolve) => {
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes(`Server listening on ${address} port ${port}`)) resolve({ ok: true, sshd });
    });
    child.once('error', (e) =>
      resolve({ ok: false, portTaken: false, message: `cannot run ${SSHD}: ${e.message}` }),
    );
    void exited.then(() =>
      resolve({
        ok: false,
        portTaken: /Address already in use/.test(log),
        message: `sshd exited (${child.signalCode ?? child.exitCode}) before listening: ${log.trim()}`,
      }),
    );
  });
}

/** Retries `ssh … true` until a login succeeds: sshd listening is not yet sshd accepting. */
async function waitForLogin(
  run: (cmd: string, o?: RunOptions) => Promise<SshRun>,
  sshd: StartedSshd,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    if (sshd.child.exitCode !== null || sshd.child.signalCode !== null)
      throw new Error(`sshd exited before accepting a login: ${sshd.log().trim()}`);
    const left = deadline - Date.now();
    if (left <= 0) break;
    const r = await run('true', { timeoutMs: left }).catch((e: Error) => e);
    if (!(r instanceof Error) && r.code === 0) return;
    last = r instanceof Error ? r.message : `exit ${r.signal ?? r.code}: ${r.stderr.trim()}`;
    await new Promise((res) =>
      setTimeout(res, Math.min(delay, Math.max(0, deadline - Date.now()))),
    );
  }
  throw new Error(
    `sshd accepted no login within ${timeoutMs} ms (last try: ${last}); sshd said: ${sshd.log().trim()}`,
  );
}

/** Runs ssh with `args`; resolves with what it said, rejects only when it overruns its time. */
export function runSsh(args: string[], opts: RunOptions = {}): Promise<SshRun> {
  const start = performance.now();
  const child = spawn('ssh', args, {
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ssh ${args.join(' ')} took over ${timeoutMs} ms: ${stderr.trim()}`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ssh: ${e.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - start });
    });
  });
}

/**
 * stop() for a running sshd, safe to call twice. Each connection's sshd and the command it runs
 * are below sshd but not in its process group (sshd starts a session per connection), and a
 * command outlives its connection, so they are found by parent pid. sshd is paused first, so no
 * connection it accepts meanwhile forks a session that the listing misses and that would outlive
 * it; then the sessions get SIGTERM (SIGKILL if they linger), then sshd. An exit hook kills them
 * all too, so a test file that dies without stop() leaves no server listening.
 */
function onceStop(sshd: StartedSshd, dir: string): () => Promise<void> {
  const pid = sshd.child.pid!;
  const onExit = () => {
    for (const p of [pid, ...descendants(pid).map((d) => d.pid)]) signal(p, 'SIGKILL');
    removeTree(dir);
  };
  process.once('exit', onExit);
  let done: Promise<void> | undefined;
  return () =>
    (done ??= (async () => {
      process.off('exit', onExit);
      signal(pid, 'SIGSTOP');
      const deadline = Date.now() + 5_000;
      const asked = new Set<number>();
      for (let live = liveBelow(pid); live.length > 0; live = liveBelow(pid)) {
        if (Date.now() > deadline) {
          for (const p of live) signal(p, 'SIGKILL');
          break;
        }
        for (const p of live) if (!asked.has(p)) signal(p, 'SIGTERM');
        for (const p of live) asked.add(p);
        await new Promise((res) => setTimeout(res, 20));
      }
      // Resumed, sshd reaps its sessions and then acts on the SIGTERM.
      signal(pid, 'SIGTERM');
      signal(pid, 'SIGCONT');
      const killed = setTimeout(() => signal(pid, 'SIGKILL'), 5_000);
      await sshd.exited;
      clearTimeout(killed);
      removeTree(dir);
    })());
}

/** The processes below `pid` that have not exited (zombies are only waiting to be reaped). */
function liveBelow(pid: number): number[] {
  return descendants(pid)
    .filter((d) => !d.zombie)
    .map((d) => d.pid);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

interface ProcessEntry {
  pid: number;
  ppid: number;
  /** exited, waiting for its parent to reap it */
  zombie: boolean;
}

/** Every process below `root`, from /proc (Linux). */
function descendants(root: number): ProcessEntry[] {
  const children = new Map<number, ProcessEntry[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid …, where comm may hold spaces and parentheses
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const entry = { pid: Number(name), ppid: Number(ppid), zombie: state === 'Z' };
    const list = children.get(entry.ppid) ?? [];
    list.push(entry);
    children.set(entry.ppid, list);
  }
  const out: ProcessEntry[] = [];
  const visit = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      visit(c.pid);
    }
  };
  visit(root);
  return out;
}
