// The accessible progress of a scan or an apply: bytes, files and the time left.
import { progressFraction, type Progress } from '../contract.js';
import { formatBytes, formatDuration } from '../format.js';

export function progressPercent(p: Progress): number {
  return Math.round(progressFraction(p) * 100);
}

/** "121 MiB of 200 MiB · 3 of 4 files · about 2 s left" */
export function progressText(p: Progress): string {
  const parts = [
    `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}`,
    `${p.itemsDone.toLocaleString()} of ${p.itemsTotal.toLocaleString()} ${p.itemsTotal === 1 ? 'file' : 'files'}`,
  ];
  if (p.etaSeconds !== undefined && Number.isFinite(p.etaSeconds))
    parts.push(`about ${formatDuration(p.etaSeconds)} left`);
  return parts.join(' · ');
}

export function ProgressBar({ progress }: { progress: Progress }) {
  const pct = progressPercent(progress);
  const label = progress.phase === 'scan' ? 'Scanning' : 'Applying changes';
  const text = progressText(progress);
  return (
    <div className="progress-block">
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        aria-valuetext={`${pct}% · ${text}`}
        className="progress"
      >
        <div className="progress-fill" style={{ width: `${pct}%` }} />
      </div>
      <p className="progress-text">
        <span className="progress-label">{label}</span> {text}
      </p>
    </div>
  );
}
