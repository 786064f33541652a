/**
 * Opening results files for the Results panel: the committed one (results/*.json in format v1 or v2, bundled by Vite as
 * lazily loaded text) by default, or a file the user picks, read as untrusted input — its size checked before a byte
 * is read, then `readResultsText` (length and depth caps, the v1 validator). A refused file leaves the one on show.
 * One controller per page (the page's root, src/engine/pageRoot.ts): it tries the committed file once.
 */
import { defaultReference, looksLikeResults, MAX_RESULTS_FILE_BYTES, readResultsText, runsWithCell } from '../methods/resultsView';
import type { ResultsFile } from '../methods/results';
import { parseResultsModels, RESULTS_MODELS_LIMITS } from '../methods/resultsModels';
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

export type ResultsController = ReturnType<typeof createResultsController>;

export function createResultsController() {
  let committedTried = false;
  /** True while a confirmed link's file is being fetched: the link's cell waits for that file, not the committed one. */
  let linkFetching = false;

  function show(file: ResultsFile, source: string, sourceUrl: string | null = null): void {
    useResultsStore.getState().patch({ status: 'ready', file, source, sourceUrl, problem: null, ...firstSelection(file) });
    applyLinkCell();
  }

  /** Selects the link's cell once the file on show has it (ε matched to the file's own value); else says why. */
  function applyLinkCell(): void {
    const st = useResultsStore.getState();
    const want = st.linkCell;
    // While the link's own file awaits confirmation or is on its way, the cell waits for it (not the committed file's).
    if (!want || !st.file || st.linkUrl !== null || linkFetching) return;
    const eps = [0, ...st.file.epsilons].find((e) => Math.abs(e * 255 - want.eps * 255) < 1e-6);
    if (eps !== undefined && runsWithCell(st.file, want.set, eps).length > 0) {
      st.patch({ linkCell: null, linkNote: null });
      selectCell({ set: want.set, eps });
    } else {
      st.patch({ linkCell: null, linkNote: `The link's cell ${want.set} at ${+(want.eps * 255).toFixed(4)}/255 is not in ${st.source ?? 'this file'}; showing its headline cell.` });
    }
  }

  /** The user declined a link's results URL: the committed file stays, and the link's cell is tried on it. */
  function declineResultsUrl(): void {
    useResultsStore.getState().patch({ linkUrl: null });
    applyLinkCell();
  }

  /**
   * Opens the results file at a link's URL, after the user confirmed it: no cookies, no referrer; a redirect to
   * another origin is refused; the size is checked from Content-Length and again while reading (the body stops at the
   * cap), then the text goes through the same checks as a picked file.
   */
  async function openResultsUrl(url: string, resolved: string): Promise<boolean> {
    linkFetching = true;
    useResultsStore.getState().patch({ linkUrl: null });
    try {
      return await fetchResultsUrl(url, resolved);
    } finally {
      linkFetching = false;
      // Shown: its cell was applied by `show`. Refused: the link's cell is tried on the file still on show.
      applyLinkCell();
    }
  }

  async function fetchResultsUrl(url: string, resolved: string): Promise<boolean> {
    const refuse = (reason: string) => {
      useResultsStore.getState().patch({ problem: `${url} was not opened: ${reason}` });
      return false;
    };
    let res: Response;
    try {
      res = await fetch(resolved, { credentials: 'omit', referrerPolicy: 'no-referrer', cache: 'no-store' });
    } catch (e) {
      return refuse(`the request failed (${String((e as Error)?.message ?? e)})`);
    }
    if (!res.ok) return refuse(`the server answered ${res.status} ${res.statusText}`.trim());
    if (new URL(res.url || resolved).origin !== new URL(resolved).origin) return refuse(`it redirected to another site (${new URL(res.url).host})`);
    const declared = Number(res.headers.get('content-length') ?? NaN);
    const cap = MAX_RESULTS_FILE_BYTES;
    if (declared > cap) return refuse(`it is ${(declared / (1024 * 1024)).toFixed(1)} MiB; a results file is read up to ${cap / (1024 * 1024)} MiB`);
    const reader = res.body?.getReader();
    if (!reader) return refuse('the response has no body');
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > cap) {
        await reader.cancel();
        return refuse(`it is over ${cap / (1024 * 1024)} MiB; a results file is read up to that`);
      }
      chunks.push(value);
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) { bytes.set(c, at); at += c.byteLength; }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return refuse('it is not UTF-8 text');
    }
    const r = readResultsText(text);
    if (!r.ok) return refuse(r.reason);
    linkFetching = false;
    show(r.file, `${url} (from a link)`, url);
    return true;
  }

  /** Loads the committed results file once (the first v1 file in `committedOrder`); 'none' when there is none. */
  async function loadCommittedResults(): Promise<void> {
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
      if (!looksLikeResults(text)) { skipped.push(`${name}: not a results file (format v1 or v2)`); continue; }
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
  async function openResultsFile(file: Blob & { name?: string }): Promise<boolean> {
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
  function selectCell(cell: ResultsSelection): void {
    const st = useResultsStore.getState();
    if (!st.file) return;
    const have = new Set(runsWithCell(st.file, cell.set, cell.eps).map((r) => r.id));
    const keep = st.runA && st.runB && have.has(st.runA) && have.has(st.runB);
    st.patch({ cell, ...(keep ? {} : defaultRuns(st.file, cell, st.reference)) });
  }

  /**
   * Reads the committed models' manifest (public/results/models/manifest.json) once: size-capped, then checked by
   * `parseResultsModels`. Which model belongs to the file on show is decided per run by `modelForRun`.
   */
  async function loadResultsModels(): Promise<void> {
    const st = useResultsStore.getState();
    if (st.models.status === 'loading' || st.models.status === 'ready') return;
    st.patch({ models: { status: 'loading', manifest: null, error: null } });
    const base = (import.meta.env?.BASE_URL as string | undefined) ?? '/';
    const url = `${base.endsWith('/') ? base : `${base}/`}results/models/manifest.json`;
    try {
      const res = await fetch(url, { credentials: 'same-origin' });
      if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`.trim());
      if (Number(res.headers.get('content-length') ?? 0) > RESULTS_MODELS_LIMITS.textChars) throw new Error(`${url} is over ${RESULTS_MODELS_LIMITS.textChars} bytes`);
      const manifest = parseResultsModels(await res.text());
      useResultsStore.getState().patch({ models: { status: 'ready', manifest, error: null } });
    } catch (e) {
      useResultsStore.getState().patch({ models: { status: 'error', manifest: null, error: String((e as Error)?.message ?? e) } });
    }
  }

  return { applyLinkCell, declineResultsUrl, openResultsUrl, loadCommittedResults, openResultsFile, selectCell, loadResultsModels };
}
