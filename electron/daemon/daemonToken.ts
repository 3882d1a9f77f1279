// The daemon's token: random, kept in Tandem's state folder (readable by the user only) so the
// printed link keeps working across restarts; `tandem serve --new-token` replaces it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function tokenFile(home: string): string {
  return path.join(home, 'daemon-token');
}

export function loadOrCreateToken(home: string, renew = false): string {
  const file = tokenFile(home);
  if (!renew) {
    try {
      const t = fs.readFileSync(file, 'utf8').trim();
      if (/^[A-Za-z0-9_-]{32,}$/.test(t)) return t;
    } catch {
      /* none yet: make one */
    }
  }
  fs.mkdirSync(home, { recursive: true });
  const token = crypto.randomBytes(32).toString('base64url');
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, token + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
  return token;
}
