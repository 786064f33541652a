/**
 * The Results panel's state: the results file on show (validated: src/methods/resultsView.ts), where it came from,
 * the last refused file's reason, and the selection (cell, reference method, the two runs of the drill-down).
 * A refused file changes nothing but `problem`: the table on show stays.
 */
import { create } from 'zustand';
import type { ResultsFile } from '../methods/results';
import type { ResultsModelsManifest } from '../methods/resultsModels';

export interface ResultsSelection {
  set: string;
  eps: number;
}

export interface ResultsState {
  /** 'idle': nothing tried yet; 'none': no committed v1 file (and none opened). */
  status: 'idle' | 'loading' | 'ready' | 'none';
  file: ResultsFile | null;
  /** Where the file on show came from, in words ("results/reproduce.json (committed)", "my.json (your file)"). */
  source: string | null;
  /** Why the last file was refused (null: nothing refused since the last success). */
  problem: string | null;
  /** Committed files looked at and why each was not shown (not v1, invalid). */
  committedSkipped: string[];
  cell: ResultsSelection | null;
  reference: string | null;
  runA: string | null;
  runB: string | null;
  /** The URL the file on show was opened from (a link's `results`), so links made now keep naming it. */
  sourceUrl: string | null;
  /** A link's results URL, awaiting the user's confirmation (nothing is fetched before). */
  linkUrl: string | null;
  /** A link's cell, selected once a file that has it is on show. */
  linkCell: ResultsSelection | null;
  /** Why a link's cell or URL could not be used (shown in the panel). */
  linkNote: string | null;
  /** The committed models of the table runs (public/results/models/manifest.json), read once on first use. */
  models: { status: 'idle' | 'loading' | 'ready' | 'error'; manifest: ResultsModelsManifest | null; error: string | null };
  /** The run whose training curves are on show (null: the first run that has them). */
  curveRun: string | null;
  patch: (p: Partial<ResultsState>) => void;
}

export const useResultsStore = create<ResultsState>()((set) => ({
  status: 'idle',
  file: null,
  source: null,
  problem: null,
  committedSkipped: [],
  cell: null,
  reference: null,
  runA: null,
  runB: null,
  sourceUrl: null,
  linkUrl: null,
  linkCell: null,
  linkNote: null,
  models: { status: 'idle', manifest: null, error: null },
  curveRun: null,
  patch: (p) => set(p),
}));
