// The settings form's values as the inputs hold them (strings for numbers), and the patch that
// turns an edited form into an updatePair call: only what changed, checked first.
import { FIDELITY_KEYS, type PairConfig, type PairSettings, type Schedule } from '../contract.js';

export const SCHEMES = ['xxh128', 'xxh3', 'xxh64', 'blake3', 'sha256', 'xxh3+blake3'] as const;

export interface SettingsForm {
  scheme: string;
  ignore: string;
  schedule: Schedule['kind'];
  minutes: string;
  autoApprove: boolean;
  autoApproveDeletes: boolean;
  maxAutoDeletes: string;
  retentionDays: string;
  scrubDays: string;
  noDeletes: boolean;
  xattrs: boolean;
  acls: boolean;
  hardLinks: boolean;
  owners: boolean;
}

export function formFromPair(p: PairConfig): SettingsForm {
  return {
    scheme: p.scheme,
    ignore: p.ignore.join('\n'),
    schedule: p.schedule.kind,
    minutes: String(p.schedule.kind === 'interval' ? p.schedule.minutes : 60),
    autoApprove: p.policy.autoApprove,
    autoApproveDeletes: p.policy.autoApproveDeletes,
    maxAutoDeletes: String(p.policy.maxAutoDeletes),
    retentionDays: String(p.retentionDays),
    scrubDays: String(p.scrubDays),
    noDeletes: p.noDeletes,
    xattrs: p.xattrs,
    acls: p.acls,
    hardLinks: p.hardLinks,
    owners: p.owners,
  };
}

function wholeNumber(text: string, name: string, min: number): number | string {
  const n = Number(text.trim());
  if (text.trim() === '' || !Number.isInteger(n) || n < min)
    return `${name} must be a whole number${min > 0 ? ` of at least ${min}` : ''}.`;
  return n;
}

/** The changed settings, or a sentence saying which field is wrong. */
export function patchFromForm(
  p: PairConfig,
  f: SettingsForm,
): { ok: true; patch: Partial<PairSettings> } | { ok: false; message: string } {
  const minutes = wholeNumber(f.minutes, 'Minutes', 1);
  const maxAutoDeletes = wholeNumber(f.maxAutoDeletes, 'Most deletions to auto-apply', 0);
  const retentionDays = wholeNumber(f.retentionDays, 'Keep versions (days)', 0);
  const scrubDays = wholeNumber(f.scrubDays, 'Verify stored data every (days)', 0);
  for (const v of [
    f.schedule === 'interval' ? minutes : 0,
    maxAutoDeletes,
    retentionDays,
    scrubDays,
  ])
    if (typeof v === 'string') return { ok: false, message: v };
  if (f.scheme.trim() === '') return { ok: false, message: 'Choose a hash scheme.' };

  const patch: Partial<PairSettings> = {};
  if (f.scheme.trim() !== p.scheme) patch.scheme = f.scheme.trim();
  const ignore = f.ignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (ignore.join('\n') !== p.ignore.join('\n')) patch.ignore = ignore;
  const schedule: Schedule =
    f.schedule === 'interval'
      ? { kind: 'interval', minutes: minutes as number }
      : { kind: f.schedule };
  if (JSON.stringify(schedule) !== JSON.stringify(p.schedule)) patch.schedule = schedule;
  const policy = {
    autoApprove: f.autoApprove,
    autoApproveDeletes: f.autoApproveDeletes,
    maxAutoDeletes: maxAutoDeletes as number,
  };
  if (JSON.stringify(policy) !== JSON.stringify(p.policy)) patch.policy = policy;
  if (retentionDays !== p.retentionDays) patch.retentionDays = retentionDays as number;
  if (scrubDays !== p.scrubDays) patch.scrubDays = scrubDays as number;
  if (f.noDeletes !== p.noDeletes) patch.noDeletes = f.noDeletes;
  for (const k of FIDELITY_KEYS) if (f[k] !== p[k]) patch[k] = f[k];
  return { ok: true, patch };
}
