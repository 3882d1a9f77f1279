// A pair refused because its target is not the folder it last synced: what happened, what to
// check, and the one button that confirms this folder. It is separate from approving held
// changes on purpose: confirming a folder is not the same decision as allowing a large deletion.
import { useState } from 'react';
import type { PairConfig } from '../contract.js';
import { useServices } from '../state/appContext.js';

interface TargetChangedBannerProps {
  pair: PairConfig;
  /** the service's sentence (PairStatus.targetChanged) */
  message: string;
}

export function TargetChangedBanner({ pair, message }: TargetChangedBannerProps) {
  const { client, store } = useServices();
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    const status = await store.run(client.confirmTarget(pair.id));
    setBusy(false);
    if (!status) return;
    store.handle({ type: 'pairStatus', status });
    store.notify(
      `Tandem now syncs into ${pair.target}. It compared the folder afresh: anything there that would be replaced waits for your approval.`,
    );
    store.touchPending(pair.id);
  };
  return (
    <div role="alert" className="banner error target-changed">
      <p>
        <strong>Tandem stopped syncing this pair.</strong> {message}.
      </p>
      <p>
        Nothing is written until you decide. Confirming makes Tandem treat what is in {pair.target}{' '}
        as unknown: it asks before replacing any of it.
      </p>
      <button type="button" className="button" disabled={busy} onClick={() => void confirm()}>
        This is the right folder
      </button>
    </div>
  );
}
