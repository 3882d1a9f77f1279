// "New pair": two folder fields (typed, browsed or dropped), checked live with checkPair so the
// refusal sentence shows before the user commits, and created with addPair.
import { useEffect, useRef, useState } from 'react';
import type { PairConfig, PairMode } from '../contract.js';
import { useServices } from '../state/appContext.js';
import { Dialog } from './Dialog.js';
import { FolderBrowserDialog } from './FolderBrowserDialog.js';

export const CHECK_DELAY_MS = 250;

export interface AddPairRequest {
  source?: string;
  target?: string;
  /** focus "Browse for target folder" (one folder was dropped) */
  focusTarget?: boolean;
  /** a sentence to show above the fields, e.g. why a dropped folder could not be used */
  note?: string;
}

interface AddPairDialogProps {
  request: AddPairRequest;
  onClose: () => void;
  onCreated: (pair: PairConfig) => void;
}

/** The outcome of checkPair for one pair of typed paths. */
type CheckResult = { key: string } & (
  { ok: true; targetExists: boolean } | { ok: false; message: string }
);

export function AddPairDialog({ request, onClose, onCreated }: AddPairDialogProps) {
  const { client, desktop } = useServices();
  const [source, setSource] = useState(request.source ?? '');
  const [target, setTarget] = useState(request.target ?? '');
  const [checked, setChecked] = useState<CheckResult | null>(null);
  const [createError, setCreateError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [browsing, setBrowsing] = useState<'source' | 'target' | null>(null);
  const [mode, setMode] = useState<PairMode>('mirror');
  const twoWay = mode === 'twoWay';
  const targetBrowse = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (request.focusTarget) targetBrowse.current?.focus();
  }, [request.focusTarget]);

  const s = source.trim();
  const t = target.trim();
  // A result counts only for the paths it was made for, so an edit disables Create at once.
  const key = `${s}\u0000${t}`;
  const check = !s || !t ? 'empty' : checked?.key === key ? checked : 'checking';

  useEffect(() => {
    if (!s || !t) return;
    let current = true;
    const timer = setTimeout(() => {
      void client.checkPair(s, t).then((r) => {
        if (current)
          setChecked(
            r.ok
              ? { key, ok: true, targetExists: r.value.targetExists }
              : { key, ok: false, message: r.error.message },
          );
      });
    }, CHECK_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [client, s, t, key]);

  const browse = async (side: 'source' | 'target') => {
    if (!desktop) return setBrowsing(side);
    const path = await desktop.pickFolder(
      side === 'source' ? 'Choose the source folder' : 'Choose the target folder',
    );
    if (path) (side === 'source' ? setSource : setTarget)(path);
  };

  const create = async () => {
    setCreating(true);
    setCreateError(null);
    const r = await client.addPair({ source: s, target: t, ...(twoWay ? { mode } : {}) });
    setCreating(false);
    if (r.ok) onCreated(r.value);
    else setCreateError(r.error.message);
  };

  const valid = typeof check === 'object' && check.ok;
  return (
    <Dialog title="New pair" onClose={onClose} className="add-pair">
      {request.note ? <p className="note">{request.note}</p> : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (valid && !creating) void create();
        }}
      >
        <fieldset className="field mode-choice">
          <legend>Mode</legend>
          <label>
            <input
              type="radio"
              name="pair-mode"
              checked={!twoWay}
              onChange={() => setMode('mirror')}
            />{' '}
            Mirror: the target becomes a copy of the source
          </label>
          <label>
            <input
              type="radio"
              name="pair-mode"
              checked={twoWay}
              onChange={() => setMode('twoWay')}
            />{' '}
            Two-way: both folders are edited, and each one&apos;s changes go to the other
          </label>
        </fieldset>
        <FolderField
          id="pair-source"
          label={twoWay ? 'Folder A' : 'Source folder'}
          hint={
            twoWay
              ? 'Changes made here go to B; a file changed on both sides waits for you to choose.'
              : 'Tandem reads from here and never writes to it. It may be on another machine (host:/path) when the target is on this one.'
          }
          value={source}
          onChange={setSource}
          browseLabel="Browse for source folder"
          onBrowse={() => void browse('source')}
        />
        <div className="swap-row">
          <button
            type="button"
            className="button small"
            onClick={() => {
              setSource(target);
              setTarget(source);
            }}
          >
            Swap
          </button>
        </div>
        <FolderField
          id="pair-target"
          label={twoWay ? 'Folder B' : 'Target folder'}
          hint={
            twoWay
              ? 'Changes made here go to A. Both folders are on this machine.'
              : 'Tandem makes this folder identical to the source. It may be on another machine (host:/path) when the source is on this one, reached with your ssh (Tandem must be installed there).'
          }
          value={target}
          onChange={setTarget}
          browseLabel="Browse for target folder"
          browseRef={targetBrowse}
          onBrowse={() => void browse('target')}
        />
        <div className="check-line" aria-live="polite">
          {check === 'checking' ? <span className="muted">Checking…</span> : null}
          {typeof check === 'object' && check.ok && !check.targetExists ? (
            <span className="note">The target folder will be created.</span>
          ) : null}
        </div>
        {typeof check === 'object' && !check.ok ? (
          <p role="alert" className="inline-alert">
            {check.message}
          </p>
        ) : null}
        {createError ? (
          <p role="alert" className="inline-alert">
            {createError}
          </p>
        ) : null}
        <div className="dialog-buttons">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={!valid || creating}>
            Create pair
          </button>
        </div>
      </form>
      {browsing ? (
        <FolderBrowserDialog
          start={(browsing === 'source' ? source : target) || null}
          onClose={() => setBrowsing(null)}
          onPick={(path) => {
            (browsing === 'source' ? setSource : setTarget)(path);
            setBrowsing(null);
          }}
        />
      ) : null}
    </Dialog>
  );
}

interface FolderFieldProps {
  id: string;
  label: string;
  hint: string;
  value: string;
  onChange: (v: string) => void;
  browseLabel: string;
  browseRef?: React.Ref<HTMLButtonElement>;
  onBrowse: () => void;
}

function FolderField({ browseRef, ...p }: FolderFieldProps) {
  return (
    <div className="field">
      <label htmlFor={p.id}>{p.label}</label>
      <div className="field-row">
        <input
          id={p.id}
          className="input grow mono"
          value={p.value}
          spellCheck={false}
          autoComplete="off"
          placeholder="/path/to/folder"
          aria-describedby={`${p.id}-hint`}
          onChange={(e) => p.onChange(e.target.value)}
        />
        <button
          ref={browseRef}
          type="button"
          className="button"
          aria-label={p.browseLabel}
          onClick={p.onBrowse}
        >
          Browse…
        </button>
      </div>
      <p id={`${p.id}-hint`} className="hint">
        {p.hint}
      </p>
    </div>
  );
}
