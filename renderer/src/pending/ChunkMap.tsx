// A small bar showing where in a file the differing chunks lie (one segment per bucket of chunks).
import { bucketChunks, chunkMapLabel, markedRuns } from './chunkBuckets.js';

const WIDTH = 120;
const HEIGHT = 8;
/** a single changed chunk in a huge file would otherwise be an invisible hairline */
const MIN_MARK = 2;

export function ChunkMap({ total, changed }: { total: number; changed: readonly number[] }) {
  // One pixel per bucket at most; a file with few chunks gets wide segments.
  const marks = bucketChunks(total, changed, WIDTH);
  const unit = marks.length > 0 ? WIDTH / marks.length : WIDTH;
  return (
    <svg
      className="chunk-map"
      role="img"
      aria-label={chunkMapLabel(total, changed)}
      width={WIDTH}
      height={HEIGHT}
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
    >
      <rect className="chunk-map-bg" x={0} y={0} width={WIDTH} height={HEIGHT} rx={2} />
      {markedRuns(marks).map(([start, len]) => (
        <rect
          key={start}
          className="chunk-map-mark"
          data-bucket={start}
          x={start * unit}
          y={0}
          width={Math.max(MIN_MARK, len * unit)}
          height={HEIGHT}
        />
      ))}
    </svg>
  );
}
