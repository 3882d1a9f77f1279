// A lazily filled window onto a pair's pending changes: pages of PAGE_SIZE fetched as rows come
// into view, cached, and refetched (while still shown) when the list changes underneath.
import type { PendingChange, PendingPage, Result } from '../contract.js';

export const PAGE_SIZE = 200;
/** pages kept beyond what is on screen; 100,000 rows would otherwise all end up in memory */
const MAX_PAGES = 40;
/**
 * Requests in flight at once. Dragging the scrollbar through 100,000 rows asked for ~500 pages in
 * ten seconds; the service answers in order, so the rows where the drag stopped came last, half a
 * minute later (bench/ui.ts). With a cap, a page is requested only if it is still in view when a
 * slot frees up.
 */
const MAX_INFLIGHT = 2;

type FetchPage = (offset: number, limit: number) => Promise<Result<PendingPage>>;

interface CachedPage {
  items: PendingChange[];
  /** the generation it was fetched in; older than the current one means stale */
  gen: number;
  /** the service's list and its revision when the page was read */
  listId: string;
  revision: number;
}

/** A pair's pending list as shown: what "approve all" names (ShownList without the filter). */
export interface ShownRevision {
  listId: string;
  revision: number;
}

export class PendingPages {
  private readonly pages = new Map<number, CachedPage>();
  /** pages requested and not answered yet */
  private readonly inflight = new Set<number>();
  private readonly listeners = new Set<() => void>();
  private gen = 0;
  private range: [number, number] = [0, 0];
  private changes = 0;
  /** rows matching the query; null until the first page arrives */
  total: number | null = null;
  /** bytes to write over every matching row (from the service, not added up here) */
  bytesToWrite: number | null = null;
  private totalGen = -1;
  private seenVersion: string | undefined;

  constructor(
    private readonly fetchPage: FetchPage,
    private readonly onError: (message: string) => void,
    readonly pageSize: number = PAGE_SIZE,
  ) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  /** Changes whenever something shown may have changed (for useSyncExternalStore). */
  getVersion = (): number => this.changes;

  item(index: number): PendingChange | undefined {
    return this.pages.get(Math.floor(index / this.pageSize))?.items[index % this.pageSize];
  }

  /**
   * The list as the rows on screen show it: the oldest revision among the cached pages of the
   * newest list (a state file made anew is another list), so "approve all" covers nothing newer
   * than any row shown. Null before the first page.
   */
  shownRevision(): ShownRevision | null {
    let listId: string | null = null;
    let gen = -1;
    for (const p of this.pages.values())
      if (p.gen > gen) {
        gen = p.gen;
        listId = p.listId;
      }
    if (listId === null) return null;
    let revision = Infinity;
    for (const p of this.pages.values())
      if (p.listId === listId) revision = Math.min(revision, p.revision);
    return { listId, revision };
  }

  /** Rows first..last (inclusive) are about to show: fetch their pages unless fresh or coming. */
  ensure(first: number, last: number): void {
    this.range = [first, last];
    this.pump();
  }

  /** Starts requests for the pages in view that are missing or stale, while slots are free. */
  private pump(): void {
    const [first, last] = this.range;
    const p0 = Math.floor(Math.max(0, first) / this.pageSize);
    const p1 = Math.floor(Math.max(0, last) / this.pageSize);
    for (let p = p0; p <= p1 && this.inflight.size < MAX_INFLIGHT; p++) {
      if (this.total !== null && p > 0 && p * this.pageSize >= this.total) break;
      const have = this.pages.get(p);
      if ((have && have.gen === this.gen) || this.inflight.has(p)) continue;
      void this.load(p);
    }
  }

  /** Invalidates when the store's version for this list moved since the last call. */
  syncVersion(version: string): void {
    if (this.seenVersion !== undefined && this.seenVersion !== version) this.invalidate();
    this.seenVersion = version;
  }

  /** The list changed: keep showing what we have, refetch what is on screen. */
  invalidate(): void {
    this.gen++;
    this.ensure(...this.range);
  }

  private async load(page: number): Promise<void> {
    const gen = this.gen;
    this.inflight.add(page);
    const r = await this.fetchPage(page * this.pageSize, this.pageSize);
    this.inflight.delete(page);
    // Whatever happens to this answer, a slot is free: fetch what is in view now.
    queueMicrotask(() => this.pump());
    if (!r.ok) return this.onError(r.error.message);
    const have = this.pages.get(page);
    if (have && have.gen > gen) return; // a newer answer already arrived
    this.pages.set(page, {
      items: r.value.items,
      gen,
      listId: r.value.listId,
      revision: r.value.revision,
    });
    if (gen >= this.totalGen) {
      this.total = r.value.total;
      this.bytesToWrite = r.value.bytesToWrite;
      this.totalGen = gen;
    }
    this.evict();
    this.changes++;
    for (const l of this.listeners) l();
  }

  /** Drops the pages farthest from the visible rows once there are too many. */
  private evict(): void {
    if (this.pages.size <= MAX_PAGES) return;
    const mid = (this.range[0] + this.range[1]) / 2 / this.pageSize;
    const byDistance = [...this.pages.keys()].sort((a, b) => Math.abs(b - mid) - Math.abs(a - mid));
    for (const p of byDistance.slice(0, this.pages.size - MAX_PAGES)) this.pages.delete(p);
  }
}
