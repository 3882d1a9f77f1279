// "Open log" where the UI cannot open files (the browser, or the app when opening failed): where
// the log is on the machine running Tandem, and its last lines, readable.
import { useEffect, useState } from 'react';
import type { LogTail } from '../contract.js';
import { basename } from '../format.js';
import { useServices, useSyncState } from '../state/appContext.js';
import { Dialog } from './Dialog.js';
import { viewLogLine } from './logLines.js';

const LINES = 200;

interface LogDialogProps {
  onClose: () => void;
  /** why the desktop could not open the file itself, if it tried */
  problem?: string | null;
}

export function LogDialog({ onClose, problem = null }: LogDialogProps) {
  const { client } = useServices();
  const pairs = useSyncState((s) => s.pairs);
  const [tail, setTail] = useState<LogTail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);
  useEffect(() => {
    let live = true;
    void client.logTail(LINES).then((r) => {
      if (!live) return;
      if (r.ok) setTail(r.value);
      else setError(r.error.message);
    });
    return () => {
      live = false;
    };
  }, [client, reloads]);
  const names = new Map(pairs.map((p) => [p.id, `${basename(p.source)} → ${basename(p.target)}`]));
  return (
    <Dialog title="Tandem’s log" onClose={onClose} className="log-dialog">
      {problem ? <p role="alert">{problem}</p> : null}
      {error ? <p role="alert">{error}</p> : null}
      {tail ? (
        <>
          <p>
            Tandem writes what it does (each scan and sync with its timings, errors, refusals and
            approvals) to <span className="mono">{tail.path}</span> on the machine it runs on.
            {problem ? null : ' A browser cannot open that file; its last lines are below.'}
          </p>
          {tail.lines.length === 0 ? (
            <p className="muted">The log is empty so far.</p>
          ) : (
            <ol className="log-lines" aria-label="Last lines of the log">
              {tail.lines.map((raw, i) => {
                const v = viewLogLine(raw, names);
                return (
                  <li key={i} className={`log-line level-${v.level}`}>
                    <span className="log-time">{v.time}</span>
                    <span className="log-level">{v.level}</span>
                    {v.pair ? <span className="log-pair">{v.pair}</span> : null}
                    <span className="log-text">{v.text}</span>
                  </li>
                );
              })}
            </ol>
          )}
        </>
      ) : error ? null : (
        <p className="muted">Loading…</p>
      )}
      <div className="dialog-buttons">
        <button type="button" className="button" onClick={() => setReloads((n) => n + 1)}>
          Reload
        </button>
        <button type="button" className="button primary" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
