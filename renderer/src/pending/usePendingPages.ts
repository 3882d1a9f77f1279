// One PendingPages per query, refetched whenever the store says the pair's list changed;
// the component using it re-renders as pages arrive.
import { useEffect, useMemo, useSyncExternalStore } from 'react';
import type { PendingQuery } from '../contract.js';
import { useServices } from '../state/appContext.js';
import { PendingPages } from './pendingPages.js';

export type ListQuery = Omit<PendingQuery, 'offset' | 'limit' | 'pairId'>;

export function usePendingPages(pairId: string, query: ListQuery, version: string): PendingPages {
  const { client, store } = useServices();
  const key = JSON.stringify(query);
  const pages = useMemo(
    () =>
      new PendingPages(
        (offset, limit) =>
          client.listPending({ ...(JSON.parse(key) as ListQuery), pairId, offset, limit }),
        (message) => store.report(message),
      ),
    [client, store, pairId, key],
  );
  useEffect(() => {
    pages.syncVersion(version);
  }, [pages, version]);
  // The caller renders from the pages (totals, summary), so it re-renders as they arrive.
  useSyncExternalStore(pages.subscribe, pages.getVersion);
  return pages;
}
