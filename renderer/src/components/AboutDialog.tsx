// "About Tandem": the version, where Tandem keeps its state, and what it runs on, from about().
import { useEffect, useState } from 'react';
import type { AboutInfo } from '../contract.js';
import { useServices } from '../state/appContext.js';
import { Dialog } from './Dialog.js';

export function AboutDialog({ onClose }: { onClose: () => void }) {
  const { client } = useServices();
  const [info, setInfo] = useState<AboutInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void client.about().then((r) => {
      if (!live) return;
      if (r.ok) setInfo(r.value);
      else setError(r.error.message);
    });
    return () => {
      live = false;
    };
  }, [client]);
  return (
    <Dialog title="About Tandem" onClose={onClose} className="about">
      <p>
        Tandem keeps pairs of folders identical: it compares identifiers of chunks, files and
        folders, and writes only the chunks that differ, atomically.
      </p>
      {error ? <p role="alert">{error}</p> : null}
      {info ? (
        <dl className="about-facts">
          <dt>Version</dt>
          <dd>{info.version}</dd>
          <dt>State folder</dt>
          <dd className="mono">{info.home}</dd>
          <dt>Runs on</dt>
          <dd>
            {info.runtime} · {info.platform}
          </dd>
        </dl>
      ) : error ? null : (
        <p className="muted">Loading…</p>
      )}
      <div className="dialog-buttons">
        <button type="button" className="button primary" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
