// A one-line progress bar on stderr, redrawn at most ten times a second, only on a terminal.
import type { RemoteProgress } from '../engine/remote/remoteSession.js';
import { formatBytes } from '../shared/format.js';

export class ProgressBar {
  private last = 0;
  private shown = false;
  private startedAt = Date.now();
  private phaseKey = '';

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  get enabled(): boolean {
    return this.out.isTTY === true;
  }

  update(p: RemoteProgress): void {
    if (!this.enabled) return;
    const key = p.phase === 'scan' ? `scan-${p.side}` : p.phase;
    if (key !== this.phaseKey) {
      this.phaseKey = key;
      this.startedAt = Date.now();
    }
    const now = Date.now();
    const finished = p.bytesDone >= p.bytesTotal;
    if (now - this.last < 100 && !finished) return;
    this.last = now;
    const label =
      p.phase === 'scan'
        ? `hashing ${p.side} (${p.files} files)`
        : p.phase === 'transfer'
          ? `sending ${p.chunksDone}/${p.chunksTotal} chunks, ${formatBytes(p.wireBytes)} on the wire`
          : `applying ${p.itemsDone}/${p.itemsTotal}`;
    const frac = p.bytesTotal > 0 ? Math.min(1, p.bytesDone / p.bytesTotal) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const elapsed = (now - this.startedAt) / 1000;
    const eta = frac > 0.02 && frac < 1 ? ` ${Math.ceil((elapsed / frac) * (1 - frac))}s left` : '';
    const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}${eta}`;
    const cols = this.out.columns ?? 100;
    this.out.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length + 4))}`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) this.out.write(`\r${' '.repeat((this.out.columns ?? 100) - 1)}\r`);
    this.shown = false;
  }
}
