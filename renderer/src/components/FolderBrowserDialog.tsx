// Folder choosing in a browser, where no native picker gives paths: the daemon lists subfolders
// (browseFolder) and the user walks the tree, types a path, or goes up.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { FolderListing } from '../contract.js';
import { isAddress, joinPath } from '../format.js';
import { useServices } from '../state/appContext.js';
import { Dialog } from './Dialog.js';

interface FolderBrowserDialogProps {
  /** where to start; null for the home folder */
  start: string | null;
  onPick: (path: string) => void;
  onClose: () => void;
}

export function FolderBrowserDialog({ start, onPick, onClose }: FolderBrowserDialogProps) {
  const { client } = useServices();
  const [listing, setListing] = useState<FolderListing | null>(null);
  const [typed, setTyped] = useState(start ?? '');
  const [chosen, setChosen] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Bumped by every listing request and every keystroke in the path field: an answer counts only
  // if nothing happened since it was asked for. Otherwise the first listing (the home folder),
  // arriving while the user types, would overwrite what they typed.
  const seq = useRef(0);

  const open = useCallback(
    async (path: string | null): Promise<'shown' | 'refused' | 'superseded'> => {
      const mine = ++seq.current;
      const r = await client.browseFolder(path);
      if (mine !== seq.current) return 'superseded';
      if (!r.ok) {
        setError(r.error.message);
        return 'refused';
      }
      setListing(r.value);
      setTyped(r.value.path);
      setChosen(null);
      setError(null);
      return 'shown';
    },
    [client],
  );

  useEffect(() => {
    void (async () => {
      // A typed path that is not a folder yet (a target to create) falls back to home; an
      // address that cannot be listed stays, with the reason shown (home is another machine's).
      if (
        (await open(start && start.trim() ? start : null)) === 'refused' &&
        start &&
        !isAddress(start)
      )
        await open(null);
    })();
  }, [open, start]);

  const use = () => {
    const path = chosen ?? listing?.path;
    if (path) onPick(path);
  };

  return (
    <Dialog title="Choose a folder" onClose={onClose} className="folder-browser">
      <div className="field-row">
        <label htmlFor="folder-path" className="visually-hidden">
          Folder path
        </label>
        <input
          id="folder-path"
          className="input grow"
          value={typed}
          spellCheck={false}
          onChange={(e) => {
            seq.current++;
            setTyped(e.target.value);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              void open(typed);
            }
          }}
        />
        <button
          type="button"
          className="button"
          disabled={!listing?.parent}
          onClick={() => listing?.parent && void open(listing.parent)}
        >
          Up
        </button>
      </div>
      {error ? (
        <p role="alert" className="inline-alert">
          {error}
        </p>
      ) : null}
      <div className="folder-list" role="group" aria-label="Subfolders">
        {listing && listing.folders.length === 0 ? <p className="muted">No subfolders</p> : null}
        {listing?.folders.map((name) => {
          const path = joinPath(listing.path, name);
          return (
            <button
              key={name}
              type="button"
              className={`folder-item${chosen === path ? ' chosen' : ''}`}
              aria-pressed={chosen === path}
              onClick={() => setChosen(path)}
              onDoubleClick={() => void open(path)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  void open(path);
                }
              }}
            >
              <span className="folder-icon" aria-hidden="true" />
              {name}
            </button>
          );
        })}
      </div>
      <p className="muted small-text">
        Double-click a folder or press Enter to open it. {chosen ? `Selected: ${chosen}` : ''}
      </p>
      <div className="dialog-buttons">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="button primary" disabled={!listing} onClick={use}>
          Use this folder
        </button>
      </div>
    </Dialog>
  );
}
