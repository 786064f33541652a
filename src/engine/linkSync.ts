/**
 * Keeps the page URL and the stores in step (browser glue, no React):
 *  - on open, the fragment's `x` restores the experiment configuration (validated; a notice lists what was
 *    rejected) and `p` opens a panel (`?selftest=run` opens the self-test);
 *  - every configuration change rewrites `x` in place (history.replaceState: no history spam, no reload), so the
 *    address bar is always a shareable link; a panel change pushes a history entry (Back returns to the panel);
 *  - a fragment edited by hand (or Back/Forward) is read again;
 *  - a model URL arriving in a configuration is never fetched: it becomes a confirmation request in the UI store;
 *  - `img` (the Attack panel's test image) and `probe` (the Subspaces probe settings) are read the same way
 *    (src/experiment/panelLink.ts) and written back when the image or the probe changes. A linked image is only a
 *    request in the attack store: the Attack panel selects it when it prepares, and says so when the split lacks it;
 *  - `results` (a results file's URL: a confirmation request in the Results panel, never fetched here) and `cell`
 *    (the selected cell, applied once a file that has it is on show) likewise (src/experiment/resultsLink.ts).
 * One per page (the page's root, src/engine/pageRoot.ts), so what it has seen survives a restart of the sync.
 */
import {
  configFromHash, describeImport, encodeConfigToken, hashParam, LINK_PARAM, resolveModelUrl, withHashParams,
  type ExperimentConfig, type ImportResult,
} from '../experiment';
import { decodeProbeToken, encodeProbeToken, IMAGE_PARAM, parseImageParam, PROBE_PARAM, type LinkedProbe } from '../experiment/panelLink';
import { formatCellParam, parseCellParam, parseResultsUrlParam, RESULTS_CELL_PARAM, RESULTS_URL_PARAM } from '../experiment/resultsLink';
import type { ResultsController } from './results';
import { useResultsStore } from '../state/results';
import { isSameOriginPath } from '../experiment/url';
import { useAttackStore } from '../state/attack';
import { useExperimentStore } from '../state/experiment';
import { useGeometryStore } from '../state/geometry';
import { isPanelId, useUiStore } from '../state/ui';

/** The `img`, `probe`, `cell` and `results` values last read from or written to the address bar (a link is applied once). */
interface PanelParamsSeen {
  image: string | null;
  probe: string | null;
  cell: string | null;
  results: string | null;
}

/** Asks the user to confirm downloading the configuration's model URL (does nothing for other sources). */
export function requestModelConfirmation(model: ExperimentConfig['model'], from: 'link' | 'file' | 'panel'): void {
  if (model.source !== 'url' || model.url === '') return;
  useUiStore.getState().requestModelFetch({
    url: model.url,
    resolved: resolveModelUrl(model.url, location.origin),
    maxMB: model.maxMB,
    sameOrigin: isSameOriginPath(model.url),
    from,
  });
}

function probeNow(): LinkedProbe {
  const g = useGeometryStore.getState();
  return { ...g.settings, every: g.every };
}

/** The probe's `probe` value; null while it is the default (links stay short). */
function probeToken(): string | null {
  const initial = useGeometryStore.getInitialState();
  const token = encodeProbeToken(probeNow());
  return token === encodeProbeToken({ ...initial.settings, every: initial.every }) ? null : token;
}

export type LinkSync = ReturnType<typeof createLinkSync>;

export function createLinkSync(deps: { results: ResultsController }) {
  const { applyLinkCell } = deps.results;
  let lastToken: string | null = null;
  let applyingFromUrl = false;
  /**
   * The `img` and `probe` values last read or written, kept beside `lastToken` for the same reason: a restarted sync
   * (React's development double effects) must not apply a link again, nor read the normalised values it wrote.
   */
  const seenPanelParams: PanelParamsSeen = { image: null, probe: null, cell: null, results: null };

  /** Puts an imported configuration (link or file) into the store, with its notice and any model confirmation. */
  function applyImport(r: ImportResult, source: 'link' | 'file'): void {
    applyingFromUrl = source === 'link';
    try {
      useExperimentStore.getState().setConfig(r.config);
    } finally {
      applyingFromUrl = false;
    }
    const d = describeImport(r, source === 'link' ? 'link' : 'file');
    useUiStore.getState().setNotice({ source, ...d });
    requestModelConfirmation(r.config.model, source);
  }

  /** Applies the link's `img` and `probe`; returns what could not be used, for the notice. */
  function readPanelParams(seen: PanelParamsSeen): string[] {
    const problems: string[] = [];
    const img = hashParam(location.hash, IMAGE_PARAM);
    if (img !== null && img !== seen.image) {
      seen.image = img;
      const r = parseImageParam(img);
      if ('index' in r) useAttackStore.getState().patch({ linkImage: r.index, linkImageNote: null });
      else problems.push(`${IMAGE_PARAM}: ${r.problem}; the Attack panel shows its default image`);
    }
    const probe = hashParam(location.hash, PROBE_PARAM);
    if (probe !== null && probe !== seen.probe) {
      seen.probe = probe;
      const initial = useGeometryStore.getInitialState();
      const r = decodeProbeToken(probe, { ...initial.settings, every: initial.every });
      if (r.refused !== undefined) problems.push(`${PROBE_PARAM}: the probe settings were refused (${r.refused}); the Subspaces panel keeps its own`);
      else {
        const { every, ...settings } = r.probe;
        useGeometryStore.getState().patch({ settings, every });
        problems.push(...r.issues.map((i) => `${i.path}: ${i.problem}`));
      }
    }
    problems.push(...readResultsParams(seen));
    return problems;
  }

  /** The Results panel's `results` (a URL to confirm, never fetched here) and `cell` (selected once a file has it). */
  function readResultsParams(seen: PanelParamsSeen): string[] {
    const problems: string[] = [];
    const url = hashParam(location.hash, RESULTS_URL_PARAM);
    if (url !== null && url !== seen.results) {
      seen.results = url;
      const r = parseResultsUrlParam(url);
      if ('url' in r) {
        if (useResultsStore.getState().sourceUrl !== r.url) useResultsStore.getState().patch({ linkUrl: r.url });
      } else problems.push(`${RESULTS_URL_PARAM}: ${r.problem}; the Results panel shows the committed results`);
    }
    const cell = hashParam(location.hash, RESULTS_CELL_PARAM);
    if (cell !== null && cell !== seen.cell) {
      seen.cell = cell;
      const r = parseCellParam(cell);
      if ('set' in r) {
        useResultsStore.getState().patch({ linkCell: r });
        applyLinkCell();
      } else problems.push(`${RESULTS_CELL_PARAM}: ${r.problem}; the Results panel shows its headline cell`);
    }
    return problems;
  }

  function readUrl(initial: boolean, seen: PanelParamsSeen): void {
    const p = hashParam(location.hash, 'p');
    if (isPanelId(p)) useUiStore.getState().setPanel(p);
    else if (p !== null) {
      const shown = useUiStore.getState().panel;
      useUiStore.getState().setNotice({
        source: 'link', ok: false,
        headline: `The link names a panel "${p.slice(0, 40)}${p.length > 40 ? '…' : ''}" that this workbench does not have; showing the ${shown} panel.`,
        lines: [],
      });
    }
    else if (initial && new URLSearchParams(location.search).get('selftest') === 'run') useUiStore.getState().setPanel('selftest');
    const x = hashParam(location.hash, LINK_PARAM);
    let applied = false;
    if (x !== null && x !== lastToken) {
      const r = configFromHash(location.hash);
      if (r) {
        lastToken = x;
        applyImport(r, 'link');
        applied = true;
      }
    }
    const problems = readPanelParams(seen);
    if (problems.length === 0) return;
    // Added to the notice about the configuration this link just restored, else a notice of their own.
    const n = applied ? useUiStore.getState().notice : null;
    useUiStore.getState().setNotice(n
      ? { ...n, ok: false, headline: n.ok ? 'Settings restored from the link, but part of it was not used:' : n.headline, lines: [...n.lines, ...problems] }
      : { source: 'link', ok: false, headline: 'Part of the link was not used:', lines: problems });
  }

  function writeHash(set: Record<string, string | null>, push: boolean): void {
    const hash = withHashParams(location.hash, set);
    if (hash === location.hash || (hash === '' && location.hash === '')) return;
    const url = `${location.pathname}${location.search}${hash}`;
    if (push) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
  }

  /** Starts the synchronisation; returns a function that stops it. */
  function start(): () => void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubConfig = useExperimentStore.subscribe((s, prev) => {
      if (s.config === prev.config) return;
      const token = encodeConfigToken(s.config);
      if (token === lastToken) return;
      lastToken = token;
      if (applyingFromUrl) {
        // Normalise the link in place right away (rejected values replaced by their defaults).
        writeHash({ [LINK_PARAM]: token }, false);
        return;
      }
      clearTimeout(timer);
      timer = setTimeout(() => writeHash({ [LINK_PARAM]: lastToken }, false), 150);
    });
    const unsubUi = useUiStore.subscribe((s, prev) => {
      if (s.panel !== prev.panel && hashParam(location.hash, 'p') !== s.panel) writeHash({ p: s.panel }, true);
    });
    const seen = seenPanelParams;
    // The chosen test image and the probe, written in place as they change (a file's image cannot travel).
    const unsubImage = useAttackStore.subscribe((s, prev) => {
      if (s.image === prev.image || s.linkImage !== null) return;
      seen.image = s.image?.origin === 'dataset' && s.image.index !== undefined ? String(s.image.index) : null;
      writeHash({ [IMAGE_PARAM]: seen.image }, false);
    });
    const unsubProbe = useGeometryStore.subscribe((s, prev) => {
      if (s.settings === prev.settings && s.every === prev.every) return;
      seen.probe = probeToken();
      writeHash({ [PROBE_PARAM]: seen.probe }, false);
    });
    // The Results panel's selected cell, and the URL of a file a link opened, written in place.
    const unsubResults = useResultsStore.subscribe((s, prev) => {
      if (s.cell !== prev.cell && s.cell && s.linkCell === null) {
        seen.cell = formatCellParam(s.cell.set, s.cell.eps);
        writeHash({ [RESULTS_CELL_PARAM]: seen.cell }, false);
      }
      if (s.sourceUrl !== prev.sourceUrl && s.file !== prev.file) {
        seen.results = s.sourceUrl;
        writeHash({ [RESULTS_URL_PARAM]: s.sourceUrl }, false);
      }
    });
    readUrl(true, seen);
    const onNav = () => readUrl(false, seen);
    window.addEventListener('hashchange', onNav);
    window.addEventListener('popstate', onNav);
    return () => {
      clearTimeout(timer);
      unsubConfig();
      unsubUi();
      unsubImage();
      unsubProbe();
      unsubResults();
      window.removeEventListener('hashchange', onNav);
      window.removeEventListener('popstate', onNav);
    };
  }

  return { start, applyImport };
}

/** The current page as a shareable link (the address bar shows the same once the last edit is written). */
export function currentShareLink(): string {
  const token = encodeConfigToken(useExperimentStore.getState().config);
  return `${location.origin}${location.pathname}${location.search}${withHashParams(location.hash, { [LINK_PARAM]: token })}`;
}
