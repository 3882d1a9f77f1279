// OS notifications for what happens while Tandem is out of sight: a sync that moved data, a
// change that needs approval, an error. notices.ts decides what and how often; this shows it.
import { Notification } from 'electron';
import type { SyncEvent } from '../shared/syncApi.js';
import type { NavigateView } from './channels.js';
import { admitNotice, noticesFor, recordNotice, type Notice } from './notices.js';
import { APP_ICON_PATH } from './paths.js';
import type { SyncModel } from './syncModel.js';

export interface NotificationOptions {
  /** a notice was clicked: show the window (and the view, if the notice names one) */
  onClick: (view: NavigateView | undefined) => void;
  /** the window has focus: the user sees it all there */
  windowFocused: () => boolean;
}

export class NotificationService {
  private lastShown: ReadonlyMap<string, number> = new Map();
  /** held until closed: a notification collected early loses its click handler */
  private readonly live = new Set<Notification>();

  constructor(private readonly opts: NotificationOptions) {}

  /** A StatusHub listener. */
  readonly handle = (next: SyncModel, prev: SyncModel, event: SyncEvent | null): void => {
    const ctx = { windowFocused: this.opts.windowFocused() };
    for (const notice of noticesFor(prev, next, event, ctx)) this.show(notice);
  };

  /** Shows a notice unless notifications are unsupported or its rate limit holds it back. */
  show(notice: Notice): boolean {
    if (!Notification.isSupported()) return false;
    const now = Date.now();
    if (!admitNotice(notice, this.lastShown, now)) return false;
    this.lastShown = recordNotice(notice, this.lastShown, now);
    const n = new Notification({
      title: notice.title,
      body: notice.body,
      ...(process.platform === 'linux' ? { icon: APP_ICON_PATH } : {}),
    });
    const forget = () => this.live.delete(n);
    n.on('click', () => {
      forget();
      this.opts.onClick(notice.view);
    });
    n.on('close', forget);
    n.on('failed', forget);
    this.live.add(n);
    n.show();
    return true;
  }

  closeAll(): void {
    for (const n of this.live) n.close();
    this.live.clear();
  }
}
