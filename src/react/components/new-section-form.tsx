import { useState, type FormEvent, type ReactNode } from 'react';
import { useScratchpad } from '../context.js';

export interface NewSectionFormProps {
  /** The pad to add to; without it the form asks for a pad name too, and can start a new pad. */
  readonly pad?: string;
  readonly user?: string;
  readonly onCreated?: (pad: string, section: string) => void;
  readonly onCancel?: () => void;
}

/** A person adds a section (and its pad) with some first text. */
export function NewSectionForm({ pad, user = 'user', onCreated, onCancel }: NewSectionFormProps): ReactNode {
  const sp = useScratchpad();
  const [padName, setPadName] = useState(pad ?? '');
  const [section, setSection] = useState('');
  const [content, setContent] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const target = (pad ?? padName).trim();
    const name = section.trim();
    try {
      if (sp.get(target, name) !== undefined) {
        setError(`'${target} / ${name}' exists already: edit it instead.`);
        return;
      }
      await sp.write(target, name, content, { agent: user });
      onCreated?.(target, name);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  }

  return (
    <form
      className="sp-form"
      onSubmit={(event) => void submit(event)}
      onKeyDown={(event) => {
        // The editor's keys: Ctrl/Cmd+Enter adds, Esc cancels.
        if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          event.currentTarget.requestSubmit();
        } else if (event.key === 'Escape' && onCancel) {
          event.preventDefault();
          onCancel();
        }
      }}
    >
      {pad === undefined ? (
        <label className="sp-field">
          <span>Pad</span>
          <input className="sp-input" value={padName} onChange={(e) => setPadName(e.target.value)} required placeholder="notes" autoFocus />
        </label>
      ) : null}
      <label className="sp-field">
        <span>Section</span>
        <input className="sp-input" value={section} onChange={(e) => setSection(e.target.value)} required placeholder="ideas" autoFocus={pad !== undefined} />
      </label>
      <label className="sp-field">
        <span>Text</span>
        <textarea className="sp-textarea" value={content} onChange={(e) => setContent(e.target.value)} rows={4} required />
      </label>
      {error ? <p className="sp-error" role="alert">{error}</p> : null}
      <div className="sp-editor-actions">
        <button type="submit" className="sp-button sp-button--primary">
          Add section
        </button>
        {onCancel ? (
          <button type="button" className="sp-button sp-button--quiet" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}
