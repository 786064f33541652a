/**
 * Which stored run a freshly loaded page shows (no React, no GPU). Before this, a reload left the Fine-tune panel
 * on "No run yet" and the Subspaces panel's run button disabled although the Runs panel listed the run: nothing
 * chose an active run from storage. The records reaching here already passed the record checks
 * (src/storage/runImport.ts `readStoredRun`); damaged ones arrive apart, so the choice only has to say, plainly,
 * when the run a user expects may be among them.
 */
import type { RunRecord } from './runRecord';
import type { DamagedRun } from './runs';

export interface RunRestore {
  /** The run to show (null: none could be read). */
  id: string | null;
  /** One line for the Fine-tune panel: what was restored, and what could not be (null: nothing to say). */
  note: string | null;
}

/**
 * The most recently updated run this browser trained (imported records only when there is nothing else: they are
 * someone else's results, not "where I left off"), with a note naming its state and any damaged records.
 */
export function runToRestore(runs: readonly RunRecord[], damaged: readonly Pick<DamagedRun, 'id' | 'reason'>[]): RunRestore {
  const byRecency = (a: RunRecord, b: RunRecord) => b.updatedAt - a.updatedAt || b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1);
  const own = runs.filter((r) => !r.imported).sort(byRecency);
  const pick = own[0] ?? [...runs].sort(byRecency)[0] ?? null;
  const parts: string[] = [];
  if (pick) parts.push(`Restored from this browser: ${pick.name} (${pick.status}, step ${pick.step} of ${pick.totalSteps}${pick.imported ? ', imported' : ''})`);
  if (damaged.length) {
    const first = damaged[0];
    parts.push(`${damaged.length} stored record${damaged.length === 1 ? '' : 's'} could not be read (written by an older version or damaged: ${first.id}, ${first.reason}${damaged.length > 1 ? ', …' : ''}); the Runs panel lists ${damaged.length === 1 ? 'it' : 'them'} for export or deletion`);
  }
  return { id: pick?.id ?? null, note: parts.length ? parts.join('. ') : null };
}
