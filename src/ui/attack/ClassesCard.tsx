/** The zero-shot classes: the dataset's or typed names, each a prompt ensemble encoded by the text tower. */
import { useState } from 'react';
import { useAttackStore } from '../../state/attack';
import { usePage } from '../pageContext';

export function ClassesCard() {
  const { setCustomClasses } = usePage().commands.attack;
  const classes = useAttackStore((s) => s.classes);
  const custom = useAttackStore((s) => s.customClasses);
  const picker = useAttackStore((s) => s.picker.value);
  const [text, setText] = useState(custom ?? picker?.classes.join('\n') ?? '');
  const c = classes.value;
  return (
    <section className="card" data-testid="attack-classes">
      <div className="card-head">
        <h3>Classes</h3>
        <div className="segmented" role="group" aria-label="class names">
          <button type="button" className={custom === null ? 'active' : undefined} onClick={() => void setCustomClasses(null)}>dataset’s</button>
          <button type="button" className={custom !== null ? 'active' : undefined} data-testid="attack-classes-custom"
            onClick={() => { const t = custom ?? (text || picker?.classes.join('\n') || ''); setText(t); void setCustomClasses(t); }}>
            type your own
          </button>
        </div>
      </div>
      <p className="atk-sub">The labels zero-shot classification chooses from: each class is the averaged text embedding of its prompts (every template of the prompt set with the class name).</p>
      {custom !== null && (
        <div className="stack" style={{ gap: 6 }}>
          <textarea className="atk-classes" value={text} onChange={(e) => setText(e.target.value)} spellCheck={false}
            aria-label="class names, one per line" data-testid="attack-classes-text" />
          <div className="atk-run">
            <button type="button" onClick={() => void setCustomClasses(text)} data-testid="attack-classes-apply">Use these classes</button>
            <span className="muted small">one per line or comma-separated; known names also get their synonyms’ canonical form</span>
          </div>
        </div>
      )}
      {classes.status === 'loading' && <p className="muted small">{classes.progress}</p>}
      {classes.status === 'error' && <p className="error small" role="alert">{classes.error}</p>}
      {c && classes.status === 'ready' && (
        <>
          <p className="muted small">{c.names.length} classes × {c.promptsPerClass} prompts each, e.g. “{c.example}”.</p>
          <div className="chips">{c.names.map((n, i) => <span key={i} className="chip" title={`class ${i}`}><b>{i}</b> {n}</span>)}</div>
        </>
      )}
    </section>
  );
}
