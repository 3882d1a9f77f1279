// The keyboard shortcuts, listed where "?" opens them.
import { Dialog } from './Dialog.js';

const SHORTCUTS: [string, string][] = [
  ['/', 'Filter the pending list by path'],
  ['j or ↓', 'Next change'],
  ['k or ↑', 'Previous change'],
  ['Space', 'Select or unselect the focused change'],
  ['a', 'Approve the selected changes'],
  ['Shift+A', 'Approve all changes of the pair'],
  ['r', 'Reject the selected changes'],
  ['s', 'Sync now: apply what is approved'],
  ['?', 'Show these shortcuts'],
];

export function ShortcutsDialog({ onClose }: { onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" onClose={onClose} className="shortcuts">
      <p className="muted">Shortcuts work whenever you are not typing in a field.</p>
      <dl className="shortcut-list">
        {SHORTCUTS.map(([key, what]) => (
          <div key={key} className="shortcut">
            <dt>
              <kbd>{key}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <div className="dialog-buttons">
        <button type="button" className="button primary" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
