// "Start Tandem when I log in": a desktop-shell setting, shown only where the shell offers it.
import { useEffect, useState } from 'react';
import type { DesktopHost } from '../contract.js';

export function LoginItemToggle({ desktop }: { desktop: DesktopHost }) {
  const [on, setOn] = useState<boolean | null>(null);
  useEffect(() => {
    let current = true;
    void desktop.getDesktopSettings().then((s) => current && setOn(s.openAtLogin));
    return () => {
      current = false;
    };
  }, [desktop]);
  return (
    <label className="check-label small-text">
      <input
        type="checkbox"
        checked={on ?? false}
        disabled={on === null}
        onChange={(e) =>
          void desktop
            .setDesktopSettings({ openAtLogin: e.target.checked })
            .then((s) => setOn(s.openAtLogin))
        }
      />
      Start Tandem when I log in
    </label>
  );
}
