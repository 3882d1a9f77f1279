// Toasts for errors (role="alert", kept until dismissed) and confirmations (role="status", fading).
import { useEffect } from 'react';
import { useServices, useSyncState } from '../state/appContext.js';
import type { Notice } from '../state/syncStore.js';

const INFO_MS = 6000;

export function Notices() {
  const notices = useSyncState((s) => s.notices);
  return (
    <div className="notices">
      {notices.map((n) => (
        <NoticeToast key={n.id} notice={n} />
      ))}
    </div>
  );
}

function NoticeToast({ notice }: { notice: Notice }) {
  const { store } = useServices();
  useEffect(() => {
    if (notice.kind !== 'info') return;
    const t = setTimeout(() => store.dismiss(notice.id), INFO_MS);
    return () => clearTimeout(t);
  }, [notice, store]);
  return (
    <div role={notice.kind === 'error' ? 'alert' : 'status'} className={`toast ${notice.kind}`}>
      <span className="toast-text">{notice.message}</span>
      <button
        type="button"
        className="toast-close"
        aria-label="Dismiss"
        onClick={() => store.dismiss(notice.id)}
      >
        ×
      </button>
    </div>
  );
}
