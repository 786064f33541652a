/** The fine-tuning controller's pure pieces (./fineTune.ts): run events, ids, failure wording. */
import { useAppStore } from '../state/store';
import { useGeometryStore } from '../state/geometry';
import { nextStatus, type RunEvent, type RunRecord } from '../storage/runRecord';

const message = (e: unknown): string => String((e as Error)?.message ?? e);

export function withEvent(r: RunRecord, event: RunEvent, p: Partial<RunRecord> = {}): RunRecord {
  return { ...r, ...p, status: nextStatus(r.status, event), updatedAt: Date.now() };
}

export function newId(): string {
  const rnd = Math.floor(Math.random() * 36 ** 6).toString(36).padStart(6, '0');
  return `run-${Date.now().toString(36)}-${rnd}`;
}

/**
 * A run that starts (or resumes) is what the Subspaces panel shows until the user picks otherwise: its source goes
 * back to automatic (src/ui/subspaces/data.ts `shownSource`), which follows the live run.
 */
export function followRunInSubspaces(): void {
  useGeometryStore.getState().patch({ source: null, step: null });
}

/** How a run's failure is recorded: a lost device interrupts it (resumable), anything else fails it. */
export function describeFailure(l: { lost: boolean } | null, e: unknown): { event: RunEvent; text: string } {
  const lost = l?.lost || useAppStore.getState().gpuStatus === 'lost' || /device (was )?lost|DeviceLost/i.test(message(e));
  if (lost) return { event: 'interrupt', text: `the GPU device was lost (${message(e)}); resume continues from the last checkpoint` };
  if ((e as { name?: string } | null)?.name === 'QuotaExceededError' || /quota|storage full/i.test(message(e))) {
    return { event: 'fail', text: `the browser's storage is full (${message(e)}): delete runs in the Runs panel to free space, then resume from the last checkpoint` };
  }
  return { event: 'fail', text: message(e) };
}
