// The names of a remote pair's ways of matching moved bytes, apart from cdc.ts so that the CLI can
// check `--chunking` without loading the chunker.

/** How a remote pair matches a moved file: content-defined chunks, or rsync's blocks (delta.ts). */
export type Chunking = 'cdc' | 'fixed';
export const CHUNKINGS: readonly Chunking[] = ['cdc', 'fixed'];
