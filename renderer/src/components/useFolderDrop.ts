// Folders dropped anywhere on the window become a pair: in Electron the shell reveals their paths
// (first = source); a browser hides them, so there the user is told so and browses instead.
import { useEffect, useState } from 'react';
import type { DesktopHost, SyncClient } from '../contract.js';
import { basename } from '../format.js';
import type { AddPairRequest } from './AddPairDialog.js';

export const BROWSER_DROP_NOTE =
  "Browsers don't reveal where a dropped folder is, so choose the two folders with Browse.";

interface DropHandlers {
  client: SyncClient;
  desktop: DesktopHost | null;
  onPair: (request: AddPairRequest) => void;
  onRefused: (message: string) => void;
}

const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') ?? false;

/** Turns a drop into an add-pair request or a refusal sentence. */
export async function requestFromDrop(
  files: readonly File[],
  { client, desktop }: Pick<DropHandlers, 'client' | 'desktop'>,
): Promise<{ request: AddPairRequest } | { refused: string }> {
  if (!desktop) return { request: { note: BROWSER_DROP_NOTE } };
  const paths = files.map((f) => desktop.pathForFile(f)).filter((p) => p !== '');
  if (paths.length === 0)
    return { refused: 'Tandem could not tell where the dropped items are; use Add pair instead.' };
  if (paths.length > 2)
    return {
      refused: `Drop one or two folders, not ${paths.length}: the first becomes the source.`,
    };
  for (const p of paths) {
    const r = await client.browseFolder(p);
    if (!r.ok) return { refused: `${basename(p)} cannot be part of a pair: ${r.error.message}` };
  }
  const [source, target] = paths as [string, string | undefined];
  if (target === undefined) return { request: { source, focusTarget: true } };
  return { request: { source, target } };
}

/** Whether something is being dragged over the window, for the overlay. */
export function useFolderDrop(handlers: DropHandlers): boolean {
  const [dragging, setDragging] = useState(false);
  const { client, desktop, onPair, onRefused } = handlers;

  useEffect(() => {
    let depth = 0;
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth++;
      setDragging(true);
    };
    const over = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault(); // without this the browser opens the file instead of dropping it here
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const leave = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      setDragging(false);
      const files = [...(e.dataTransfer?.files ?? [])];
      void requestFromDrop(files, { client, desktop }).then((r) =>
        'request' in r ? onPair(r.request) : onRefused(r.refused),
      );
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, [client, desktop, onPair, onRefused]);

  return dragging;
}
