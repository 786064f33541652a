/**
 * Opening results files for the Results panel: the committed one (results/*.json in format v1, bundled by Vite as
 * lazily loaded text) by default, or a file the user picks, read as untrusted input — its size checked before a byte
 * is read, then `readResultsText` (length and depth caps, the v1 validator). A refused file leaves the one on show.
 */
import { defaultReference, looksLikeResults, MAX_RESULTS_FILE_BYTES, readResultsText, runsWithCell } from '../methods/resultsView';
import type { ResultsFile } from '../methods/results';
import { useResultsStore, type ResultsSelection } from '../state/results';

/** Every committed results/*.json as a lazy text loader (only v1 files are shown; the others are skipped). */
const COMMITTED = import.meta.glob('/results/*.json', { query: '?raw', import: 'default' }) as Record<string, () => Promise<string>>;

/** Committed files in the order they are tried: the full protocol's table first, then the rest by name. */
export function committedOrder(paths: string[]): string[] {
  const rank = (p: string) => (/\/reproduce\.json$/.test(p) ? 0 : /reproduce/.test(p) ? 1 : /eval-robust/.test(p) ? 2 : 3);
  return [...paths].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** The first cell to show: the headline ε on the first set (the table's main column). */
function firstSelection(file: ResultsFile): Pick<ReturnType<typeof useResultsStore.getState>, 'cell' | 'reference' | 'runA' | 'runB'> {
  const set = file.runs[0]?.cells[0]?.set;
  const cell: ResultsSelection | null = set ? { set, eps: file.headlineEps } : null;
  const reference = file.runs.length ? defaultReference(file) : null;
  return { cell, reference, ...defaultRuns(file, cell, reference) };
}

/** The drill-down's two runs for a cell: the reference's first run and the first run of another method. */
export function defaultRuns(file: ResultsFile, cell: ResultsSelection | null, reference: string | null): { runA: string | null; runB: string | null } {
  if (!cell) return { runA: null, runB: null };
  const runs = runsWithCell(file, cell.set, cell.eps);
  const a = runs.find((r) => r.method === reference) ?? runs[0];
  const b = runs.find((r) => r.method !== a?.method) ?? runs.find((r) => r !== a);
  return { runA: a?.id ?? null, runB: b?.id ?? null };
}

function show(file: ResultsFile, source: string): void {
  useResultsStore.getState().patch({ status: 'ready', file, source, problem: null, ...firstSelection(file) });
}

let committedTried = false;

/** Loads the committed results file once (the first v1 file in `committedOrder`); 'none' when there is none. */
export async function loadCommittedResults(): Promise<void> {
  if (committedTried) return;
  committedTried = true;
  const st = useResultsStore.getState();
  st.patch({ status: 'loading' });
  const skipped: string[] = [];
  for (const path of committedOrder(Object.keys(COMMITTED))) {
    const name = path.replace(/^\//, '');
    let text: string;
    try {
      text = await COMMITTED[path]();
    } catch (e) {
      skipped.push(`${name}: could not be loaded (${String((e as Error)?.message ?? e)})`);
      continue;
    }
    if (!looksLikeResults(text)) { skipped.push(`${name}: not a results file in format v1`); continue; }
    const r = readResultsText(text);
    if (!r.ok) { skipped.push(`${name}: ${r.reason}`); continue; }
    // A file the user opened meanwhile wins.
    if (useResultsStore.getState().status !== 'ready') show(r.file, `${name} (committed)`);
    useResultsStore.getState().patch({ committedSkipped: skipped });
    return;
  }
  if (useResultsStore.getState().status !== 'ready') useResultsStore.getState().patch({ status: 'none' });
  useResultsStore.getState().patch({ committedSkipped: skipped });
}

/** Opens a results file the user picked; on refusal the reason goes to `problem` and the table on show stays. */
export async function openResultsFile(file: Blob & { name?: string }): Promise<boolean> {
  const name = file.name ?? 'results.json';
  const refuse = (reason: string) => {
    useResultsStore.getState().patch({ problem: `${name} was not opened: ${reason}` });
    return false;
  };
  if (file.size > MAX_RESULTS_FILE_BYTES) return refuse(`it is ${(file.size / (1024 * 1024)).toFixed(1)} MiB; a results file is read up to ${MAX_RESULTS_FILE_BYTES / (1024 * 1024)} MiB`);
  let text: string;
  try {
    text = await file.text();
  } catch (e) {
    return refuse(`it could not be read (${String((e as Error)?.message ?? e)})`);
  }
  const r = readResultsText(text);
  if (!r.ok) return refuse(r.reason);
  show(r.file, `${name} (your file)`);
  return true;
}

/** Selects a cell (set, ε); keeps the drill-down's runs when they have the cell, else picks defaults. */
export function selectCell(cell: ResultsSelection): void {
  const st = useResultsStore.getState();
  if (!st.file) return;
  const have = new Set(runsWithCell(st.file, cell.set, cell.eps).map((r) => r.id));
  const keep = st.runA && st.runB && have.has(st.runA) && have.has(st.runB);
  st.patch({ cell, ...(keep ? {} : defaultRuns(st.file, cell, st.reference)) });
}
