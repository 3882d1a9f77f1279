// The Settings tab: a pair's scheme, ignore patterns, schedule, approval policy, what metadata it
// keeps (attributes, ACLs, hard links, owners) and retention.
import { useId, useState } from 'react';
import type { PairConfig, PairMode } from '../contract.js';
import { useServices } from '../state/appContext.js';
import { Dialog } from './Dialog.js';
import { SCHEMES, formFromPair, patchFromForm, type SettingsForm } from './pairSettingsForm.js';

export function SettingsTab({ pair }: { pair: PairConfig }) {
  const { client, store } = useServices();
  const id = useId();
  const [form, setForm] = useState<SettingsForm>(() => formFromPair(pair));
  const [status, setStatus] = useState<{ kind: 'saved' | 'error'; text: string } | null>(null);
  const [saving, setSaving] = useState(false);
  const [askMode, setAskMode] = useState<PairMode | null>(null);
  const mode: PairMode = pair.mode ?? 'mirror';

  const changeMode = async (next: PairMode) => {
    setAskMode(null);
    const r = await store.run(client.updatePair(pair.id, { mode: next }));
    if (r) store.putPair(r);
  };

  const set = <K extends keyof SettingsForm>(key: K, value: SettingsForm[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    setStatus(null);
  };

  const save = async () => {
    const checked = patchFromForm(pair, form);
    if (!checked.ok) return setStatus({ kind: 'error', text: checked.message });
    setSaving(true);
    const r = await client.updatePair(pair.id, checked.patch);
    setSaving(false);
    if (!r.ok) return setStatus({ kind: 'error', text: r.error.message });
    store.putPair(r.value);
    setStatus({ kind: 'saved', text: 'Saved.' });
  };

  const schemes: string[] = SCHEMES.includes(pair.scheme as (typeof SCHEMES)[number])
    ? [...SCHEMES]
    : [...SCHEMES, pair.scheme];
  const f = (name: string) => `${id}-${name}`;

  return (
    <form
      className="settings-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <fieldset>
        <legend>Mode</legend>
        <div className="field">
          <label htmlFor={f('mode')}>This pair is</label>
          <select
            id={f('mode')}
            className="select"
            value={mode}
            aria-describedby={f('mode-note')}
            onChange={(e) => setAskMode(e.target.value as PairMode)}
          >
            <option value="mirror">a mirror: the target is a copy of the source</option>
            <option value="twoWay">two-way: each folder&apos;s changes go to the other</option>
          </select>
          <p id={f('mode-note')} className="hint">
            Changing the mode asks first; it takes effect with the next scan.
          </p>
        </div>
      </fieldset>
      {askMode && askMode !== mode ? (
        <Dialog
          title={askMode === 'twoWay' ? 'Make this pair two-way?' : 'Make this pair a mirror?'}
          onClose={() => setAskMode(null)}
        >
          <p>
            {askMode === 'twoWay'
              ? `Edits made in ${pair.target} will then be copied to ${pair.source} too. Paths changed in both since the last sync become conflicts for you to resolve; nothing is overwritten without a version kept. Extended attributes, ACLs, hard links and owners are not kept by two-way pairs yet.`
              : `${pair.target} then becomes a copy of ${pair.source} again: edits made there will be replaced by the source's, each kept as a version first.`}
          </p>
          <div className="dialog-buttons">
            <button type="button" className="button" onClick={() => setAskMode(null)}>
              Cancel
            </button>
            <button
              type="button"
              className="button primary"
              onClick={() => void changeMode(askMode)}
            >
              {askMode === 'twoWay' ? 'Make it two-way' : 'Make it a mirror'}
            </button>
          </div>
        </Dialog>
      ) : null}
      <fieldset>
        <legend>Identifiers</legend>
        <div className="field">
          <label htmlFor={f('scheme')}>Hash scheme</label>
          <select
            id={f('scheme')}
            className="select"
            value={form.scheme}
            aria-describedby={f('scheme-note')}
            onChange={(e) => set('scheme', e.target.value)}
          >
            {schemes.map((s) => (
              <option key={s} value={s}>
                {s === 'xxh128' ? 'xxh128 (default)' : s}
              </option>
            ))}
          </select>
          <p id={f('scheme-note')} className="hint">
            Changing the scheme rehashes every file of both folders once. Pick blake3 or sha256
            where someone might craft colliding files on purpose.
          </p>
        </div>
        <div className="field">
          <label htmlFor={f('ignore')}>Ignore patterns</label>
          <textarea
            id={f('ignore')}
            className="input mono"
            rows={4}
            spellCheck={false}
            value={form.ignore}
            aria-describedby={f('ignore-note')}
            onChange={(e) => set('ignore', e.target.value)}
          />
          <p id={f('ignore-note')} className="hint">
            One gitignore pattern per line, e.g. <code>*.tmp</code> or <code>node_modules/</code>.
          </p>
        </div>
      </fieldset>
      <fieldset>
        <legend>When to sync</legend>
        <div className="field-row">
          <label htmlFor={f('schedule')}>Schedule</label>
          <select
            id={f('schedule')}
            className="select"
            value={form.schedule}
            onChange={(e) => set('schedule', e.target.value as SettingsForm['schedule'])}
          >
            <option value="onChange">When files change</option>
            <option value="interval">Every N minutes</option>
            <option value="manual">Only when I ask</option>
          </select>
          {form.schedule === 'interval' ? (
            <>
              <label htmlFor={f('minutes')}>Minutes</label>
              <input
                id={f('minutes')}
                type="number"
                min={1}
                className="input narrow"
                value={form.minutes}
                onChange={(e) => set('minutes', e.target.value)}
              />
            </>
          ) : null}
        </div>
        <Check
          id={f('auto')}
          label="Auto-approve changes"
          checked={form.autoApprove}
          onChange={(v) => set('autoApprove', v)}
        >
          Changes where the target still holds what Tandem last wrote are applied without asking;
          anything else waits for you.
        </Check>
        <Check
          id={f('autodel')}
          label="Also auto-apply deletions"
          checked={form.autoApproveDeletes}
          onChange={(v) => set('autoApproveDeletes', v)}
        />
        <NumberField
          id={f('maxdel')}
          label="Most deletions to auto-apply"
          value={form.maxAutoDeletes}
          onChange={(v) => set('maxAutoDeletes', v)}
        />
        <Check
          id={f('nodel')}
          label="Never delete on the target (update mode)"
          checked={form.noDeletes}
          onChange={(v) => set('noDeletes', v)}
        />
      </fieldset>
      <fieldset aria-describedby={f('keep-note')}>
        <legend>What to keep besides the data</legend>
        <p id={f('keep-note')} className="hint">
          Modes and times are always kept. Changing one of these rescans both folders once.
        </p>
        <Check
          id={f('xattrs')}
          label="Keep extended attributes"
          checked={form.xattrs}
          onChange={(v) => set('xattrs', v)}
        >
          The <code>user.*</code> attributes programs attach to files and folders (and{' '}
          <code>trusted.*</code> when Tandem runs as root), like rsync’s <code>-X</code>.
        </Check>
        <Check
          id={f('acls')}
          label="Keep access control lists (ACLs)"
          checked={form.acls}
          onChange={(v) => set('acls', v)}
        >
          POSIX ACLs, the <code>system.posix_acl_*</code> attributes that grant access to further
          users and groups, like rsync’s <code>-A</code>.
        </Check>
        <Check
          id={f('hardlinks')}
          label="Keep hard links"
          checked={form.hardLinks}
          onChange={(v) => set('hardLinks', v)}
        >
          Names that share one file in the source share one file on the target too, instead of
          becoming separate copies, like rsync’s <code>-H</code>.
        </Check>
        <Check
          id={f('owners')}
          label="Keep owners and groups"
          checked={form.owners}
          onChange={(v) => set('owners', v)}
        >
          Needs Tandem to run as root (only root may give files to another owner); otherwise the
          pair says once how many entries differ.
        </Check>
      </fieldset>
      <fieldset>
        <legend>Safety</legend>
        <NumberField
          id={f('keep')}
          label="Keep versions (days)"
          value={form.retentionDays}
          onChange={(v) => set('retentionDays', v)}
        />
        <NumberField
          id={f('scrub')}
          label="Verify stored data every (days, 0 = never)"
          value={form.scrubDays}
          onChange={(v) => set('scrubDays', v)}
        />
      </fieldset>
      <div className="form-buttons">
        <button type="submit" className="button primary" disabled={saving}>
          Save settings
        </button>
        {status ? (
          <span
            role={status.kind === 'error' ? 'alert' : 'status'}
            className={status.kind === 'error' ? 'inline-alert' : 'saved'}
          >
            {status.text}
          </span>
        ) : null}
      </div>
    </form>
  );
}

function Check(p: {
  id: string;
  label: string;
  checked: boolean;
  onChange: (v: boolean) => void;
  children?: React.ReactNode;
}) {
  return (
    <div className="field check-field">
      <input
        id={p.id}
        type="checkbox"
        checked={p.checked}
        aria-describedby={p.children ? `${p.id}-hint` : undefined}
        onChange={(e) => p.onChange(e.target.checked)}
      />
      <label htmlFor={p.id}>{p.label}</label>
      {p.children ? (
        <p id={`${p.id}-hint`} className="hint">
          {p.children}
        </p>
      ) : null}
    </div>
  );
}

function NumberField(p: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
}) {
  return (
    <div className="field-row">
      <label htmlFor={p.id}>{p.label}</label>
      <input
        id={p.id}
        type="number"
        min={0}
        className="input narrow"
        value={p.value}
        onChange={(e) => p.onChange(e.target.value)}
      />
    </div>
  );
}
