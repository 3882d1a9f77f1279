// Who may call the IPC bridge: only the top frame of Tandem's own window, showing Tandem's own
// page. Pure, so the rule is tested without Electron; ipcBridge.ts gathers the facts.
import { isAppUrl } from './appUrl.js';

export interface SenderFacts {
  /** the message came from the main window's webContents */
  fromMainWindow: boolean;
  /** the sending frame still exists (Electron reports null after it navigated or closed) */
  frameKnown: boolean;
  /** the sending frame is the top frame, not an iframe */
  topFrame: boolean;
  /** the sending frame's URL */
  url: string | undefined;
}

/** Null when the sender is trusted, otherwise the reason it is refused, as a sentence. */
export function senderRefusal(f: SenderFacts): string | null {
  if (!f.fromMainWindow) return 'Tandem answers only its own window.';
  if (!f.frameKnown) return 'The page that asked has gone away.';
  if (!f.topFrame) return 'Tandem does not answer embedded frames.';
  if (!isAppUrl(f.url)) return 'Tandem answers only its own pages.';
  return null;
}
