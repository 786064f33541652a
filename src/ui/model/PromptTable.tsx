/** The dataset's classes, their synonyms and the prompts (templates × synonyms) with token counts. */
import { useState } from 'react';
import type { PromptRow } from '../../state/resources';

export function PromptTable({ rows, contextLength, templatesAvailable }: { rows: PromptRow[]; contextLength: number; templatesAvailable: number }) {
  const [open, setOpen] = useState<string | null>(null);
  const total = rows.reduce((a, r) => a + r.prompts.length, 0);
  const cut = rows.reduce((a, r) => a + r.prompts.filter((p) => p.truncated).length, 0);
  return (
    <>
      <p className="muted small">
        {rows.length} classes, {total} prompts ({templatesAvailable} templates available). Token counts include start and end tokens; the text tower reads {contextLength}.
        {cut > 0 ? <span className="warn-text"> {cut} prompts are cut to fit.</span> : ' None is cut.'}
      </p>
      <table className="data-table prompts" data-testid="prompt-table">
        <thead><tr><th>class</th><th>synonyms</th><th className="num">prompts</th><th className="num">tokens</th><th>example</th></tr></thead>
        <tbody>
          {rows.map((r) => {
            const lens = r.prompts.map((p) => p.tokens);
            const isOpen = open === r.className;
            return [
              <tr key={r.className} onClick={() => setOpen(isOpen ? null : r.className)} className="clickable" title="show every prompt">
                <td><span className="caret">{isOpen ? '▾' : '▸'}</span> <strong>{r.className}</strong></td>
                <td>{r.synonyms.join(' · ')}</td>
                <td className="num">{r.prompts.length}</td>
                <td className="num">{lens.length ? `${Math.min(...lens)}–${Math.max(...lens)}` : '—'}</td>
                <td className="example">{r.prompts[0]?.text}</td>
              </tr>,
              isOpen && (
                <tr key={`${r.className}-all`} className="expanded">
                  <td colSpan={5}>
                    <ol className="prompt-list">
                      {r.prompts.map((p, i) => <li key={i} className={p.truncated ? 'truncated' : undefined}>{p.text} <span className="muted">{p.tokens}{p.truncated ? ' (cut)' : ''}</span></li>)}
                    </ol>
                  </td>
                </tr>
              ),
            ];
          })}
        </tbody>
      </table>
    </>
  );
}
