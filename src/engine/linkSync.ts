/**
 * Keeps the page URL and the stores in step (browser glue, no React):
 *  - on open, the fragment's `x` restores the experiment configuration (validated; a notice lists what was
 *    rejected) and `p` opens a panel (`?selftest=run` opens the self-test);
 *  - every configuration change rewrites `x` in place (history.replaceState: no history spam, no reload), so the
 *    address bar is always a shareable link; a panel change pushes a history entry (Back returns to the panel);
 *  - a fragment edited by hand (or Back/Forward) is read again;
 *  - a model URL arriving in a configuration is never fetched: it becomes a confirmation request in the UI store.
 */
import {
  configFromHash, describeImport, encodeConfigToken, hashParam, LINK_PARAM, resolveModelUrl, withHashParams,
  type ExperimentConfig, type ImportResult,
} from '../experiment';
import { isSameOriginPath } from '../experiment/url';
import { useExperimentStore } from '../state/experiment';
import { isPanelId, useUiStore } from '../state/ui';

let lastToken: string | null = null;
let applyingFromUrl = false;

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

/** Puts an imported configuration (link or file) into the store, with its notice and any model confirmation. */
export function applyImport(r: ImportResult, source: 'link' | 'file'): void {
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

function readUrl(initial: boolean): void {
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
  if (x !== null && x !== lastToken) {
    const r = configFromHash(location.hash);
    if (r) {
      lastToken = x;
      applyImport(r, 'link');
    }
  }
}

function writeHash(set: Record<string, string | null>, push: boolean): void {
  const hash = withHashParams(location.hash, set);
  if (hash === location.hash || (hash === '' && location.hash === '')) return;
  const url = `${location.pathname}${location.search}${hash}`;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

/** Starts the synchronisation; returns a function that stops it. */
export function startLinkSync(): () => void {
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
  readUrl(true);
  const onNav = () => readUrl(false);
  window.addEventListener('hashchange', onNav);
  window.addEventListener('popstate', onNav);
  return () => {
    clearTimeout(timer);
    unsubConfig();
    unsubUi();
    window.removeEventListener('hashchange', onNav);
    window.removeEventListener('popstate', onNav);
  };
}

/** The current page as a shareable link (the address bar shows the same once the last edit is written). */
export function currentShareLink(): string {
  const token = encodeConfigToken(useExperimentStore.getState().config);
  return `${location.origin}${location.pathname}${location.search}${withHashParams(location.hash, { [LINK_PARAM]: token })}`;
}
