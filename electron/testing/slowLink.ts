// A slow link on one machine, for the remote tests and bench:remote: a network namespace of its
// own with a veth pair to it, both ends rate-limited with `tc … tbf` (this kernel has no netem),
// and the veth's own byte counters as the bytes on the wire (ssh's framing included). Needs root
// and iproute2; everything it makes is removed by drop(), and its names carry the pid.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

function run(cmd: string, args: string[]): { ok: boolean; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, err: (r.stderr || r.error?.message || '').trim() };
}

function must(cmd: string, args: string[]): void {
  const r = run(cmd, args);
  if (!r.ok) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.err}`);
}

/** Why a slow link cannot be made here, or null. */
export function slowLinkSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'a network namespace needs root';
  if (!run('ip', ['-V']).ok || !run('tc', ['-V']).ok)
    return 'ip and tc (iproute2) are not installed';
  return null;
}

export class SlowLink {
  readonly hostIf: string;
  readonly nsIf: string;
  readonly hostAddr: string;
  readonly nsAddr: string;

  private constructor(
    readonly name: string,
    n: number,
  ) {
    this.hostIf = `tlh${n}`;
    this.nsIf = `tln${n}`;
    // One /30 per link of this pid: two links at once do not share addresses.
    const third = Math.floor(n / 64) % 256;
    const fourth = (n % 64) * 4;
    this.hostAddr = `10.232.${third}.${fourth + 1}`;
    this.nsAddr = `10.232.${third}.${fourth + 2}`;
  }

  /** Makes the namespace `name` and its veth pair, unlimited until limit(). */
  static make(name: string): SlowLink {
    const n = (process.pid * 7 + Math.floor(Math.random() * 1000)) % 16000;
    const l = new SlowLink(name, n);
    try {
      must('ip', ['netns', 'add', name]);
      must('ip', ['link', 'add', l.hostIf, 'type', 'veth', 'peer', 'name', l.nsIf]);
      must('ip', ['link', 'set', l.nsIf, 'netns', name]);
      must('ip', ['addr', 'add', `${l.hostAddr}/30`, 'dev', l.hostIf]);
      must('ip', ['link', 'set', l.hostIf, 'up']);
      must('ip', ['netns', 'exec', name, 'ip', 'addr', 'add', `${l.nsAddr}/30`, 'dev', l.nsIf]);
      must('ip', ['netns', 'exec', name, 'ip', 'link', 'set', l.nsIf, 'up']);
      must('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
    } catch (e) {
      l.drop();
      throw e;
    }
    return l;
  }

  /** What startSshd needs to listen inside the namespace. */
  sshdOptions(): { address: string; wrap: string[] } {
    return { address: this.nsAddr, wrap: ['ip', 'netns', 'exec', this.name] };
  }

  /** Limits both directions to `rate` (tc's form: 20mbit). */
  limit(rate: string): void {
    const tbf = ['root', 'tbf', 'rate', rate, 'burst', '32kbit', 'latency', '400ms'];
    must('tc', ['qdisc', 'add', 'dev', this.hostIf, ...tbf]);
    must('ip', ['netns', 'exec', this.name, 'tc', 'qdisc', 'add', 'dev', this.nsIf, ...tbf]);
  }

  /** Bytes that crossed the link so far, both ways. */
  bytes(): number {
    const read = (k: string) =>
      Number(fs.readFileSync(`/sys/class/net/${this.hostIf}/statistics/${k}`, 'utf8'));
    return read('tx_bytes') + read('rx_bytes');
  }

  drop(): void {
    run('ip', ['link', 'del', this.hostIf]);
    run('ip', ['netns', 'del', this.name]);
  }
}
