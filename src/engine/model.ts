/**
 * The model shown by the workbench: the bundled pre-trained tiny CLIP when `public/models/tiny-clip/` exists, else
 * a random-initialised tiny CLIP built in the browser (src/onnx/clip), or a model folder from a URL the user
 * confirmed. This module keeps the current model folder and its summary (./modelSummary.ts: config, parameter counts,
 * ONNX ops, coverage); loading it into
 * onnxruntime sessions for attacks and training is the model loader's job (src/models/, in progress):
 * INTEGRATION POINT — `currentFolder()` hands the folder files over. One controller per engine root holds the
 * current model and the runs in flight (./root.ts); the model cache's controller is passed in.
 *
 * URL folders go through the browser's model cache (src/models/cache.ts via ./modelCache): each file is revalidated
 * with a HEAD request and reused when unchanged, else downloaded, hashed and stored; the summary lists every file
 * with its sha256 and whether it came from the cache, was downloaded, or changed on the server since it was cached.
 *
 * Local folders (`loadLocalModel`: the Model panel's pickers and drop zone) go through the model loader
 * (src/models/load.ts: variants, size cap, sha256, decoding with its clear messages, op coverage). A failed local
 * load changes nothing: the model shown before stays the current one. A loaded local model stays current while the
 * configuration names the same model source it replaced (the seed may change); choosing another source replaces it.
 */
import { fillTemplate, PROMPT_TEMPLATES, promptGroups, synonymsFor } from '../data/prompts';
import type { ExperimentConfig } from '../experiment';
import { isSameOriginPath } from '../experiment/url';
import { buildClipFolder, clipConfigFromJson, clipPreprocessorConfigJson, tinyClipConfig } from '../onnx/clip';
import { ClipTokenizer } from '../text/tokenizer';
import { useResourceStore, type ModelFileInfo, type ModelSummary, type PromptRow } from '../state/resources';
import { useUiStore } from '../state/ui';
import { fileSourceKey, type LocalModelRecord } from '../models/cache';
import { cachedFetch, type CachedFetchResult } from '../models/cachedFetch';
import { ModelLoadError } from '../models/errors';
import { sha256Hex } from '../models/sha256';
import type { ModelCacheController } from './modelCache';
import { DEFAULT_MAX_BYTES, loadClipModel } from '../models/load';
import type { Precision } from '../models/variants';
import { useExperimentStore } from '../state/experiment';
import { summarize, type ModelFolder } from './modelSummary';
import { expandModelZip } from './localModelZip';
import { localModelKey, localModelSource, localOriginLabel, matchLoadedFile, storeLocalModel, toPathedFiles, towerPrecisionLabel, variantsNote, type LocalFilesInput, type PathedFile } from './localModel';

/** The bundled model folder, relative to the app's base URL. */
export const BUNDLED_MODEL_DIR = 'models/tiny-clip/';

/** Classes of all bundled datasets (the random-init tokenizer is trained on their prompts). */
const ALL_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
  ...'0123456789'.split(''),
];

export type { ModelFolder };

interface Current {
  key: string;
  folder: ModelFolder;
  tokenizer: ClipTokenizer | null;
}

const message = (e: unknown): string => String((e as Error)?.message ?? e);

/** The app's base URL, ending in '/'. */
export function baseUrl(): string {
  const base = (import.meta.env?.BASE_URL as string | undefined) ?? '/';
  return base.endsWith('/') ? base : `${base}/`;
}

type ModelResource = ReturnType<typeof useResourceStore.getState>['model'];

/** Waits until the resource store's model is no longer loading. */
export function settledModel(): Promise<ModelResource> {
  const now = useResourceStore.getState().model;
  if (now.status !== 'loading') return Promise.resolve(now);
  return new Promise((resolve) => {
    const stop = useResourceStore.subscribe((s) => {
      if (s.model.status !== 'loading') {
        stop();
        resolve(s.model);
      }
    });
  });
}

/** The text at `url`, or null when it is missing (an SPA fallback page counts as missing). */
export async function fetchText(url: string): Promise<string | null> {
  try {
    const res = await fetch(url);
    if (!res.ok || (res.headers.get('content-type') ?? '').includes('text/html')) return null;
    return await res.text();
  } catch {
    return null;
  }
}

/** The files the compute engines need from a model folder. */
export interface EngineModelFiles {
  'config.json': string;
  'tokenizer.json': string;
  'preprocessor_config.json': string;
  'onnx/vision_model.onnx': Uint8Array;
  'onnx/text_model.onnx': Uint8Array;
}

/**
 * A folder's files for the compute engines; the folder's own preprocessor_config.json (the bundled model's is
 * fetched beside it), else one derived from config.json (`preprocessorRead` false).
 */
export async function engineModelFiles(folder: ModelFolder, kind: string): Promise<{ files: EngineModelFiles; preprocessorRead: boolean }> {
  if (!folder.vision || !folder.text) throw new Error('the model folder lacks onnx/vision_model.onnx or onnx/text_model.onnx');
  if (!folder.tokenizerJson) throw new Error('the model folder has no tokenizer.json: the class prompts cannot be encoded');
  const read = folder.preprocessorJson ?? (kind === 'bundled' ? await fetchText(`${baseUrl()}${BUNDLED_MODEL_DIR}preprocessor_config.json`) : null);
  const pre = read ?? JSON.stringify(clipPreprocessorConfigJson(clipConfigFromJson(folder.configJson)));
  return {
    files: {
      'config.json': folder.configJson, 'tokenizer.json': folder.tokenizerJson, 'preprocessor_config.json': pre,
      'onnx/vision_model.onnx': folder.vision, 'onnx/text_model.onnx': folder.text,
    },
    preprocessorRead: read !== null,
  };
}

/** Fetches a same-origin file; null when it is not there (a dev server answers unknown paths with index.html). */
async function fetchOptional(url: string, cap: number): Promise<Uint8Array | null> {
  const res = await fetch(url);
  if (!res.ok) return null;
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('text/html')) return null;
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.length > cap) throw new Error(`${url}: ${bytes.length} bytes, more than the ${cap} allowed`);
  return bytes;
}

interface Bundled {
  folder: ModelFolder;
  files: ModelFileInfo[];
  metrics: unknown;
}

async function tryBundled(): Promise<Bundled | null> {
  const dir = baseUrl() + BUNDLED_MODEL_DIR;
  const cfg = await fetchOptional(`${dir}config.json`, 1 << 20);
  if (!cfg) return null;
  const configJson = new TextDecoder().decode(cfg);
  try {
    JSON.parse(configJson);
  } catch {
    return null;
  }
  const cap = 512 << 20;
  const [tok, vision, text, metricsBytes] = await Promise.all([
    fetchOptional(`${dir}tokenizer.json`, 64 << 20), fetchOptional(`${dir}onnx/vision_model.onnx`, cap), fetchOptional(`${dir}onnx/text_model.onnx`, cap),
    fetchOptional(`${dir}metrics.json`, 4 << 20).catch(() => null),
  ]);
  let metrics: unknown = null;
  try {
    metrics = metricsBytes ? JSON.parse(new TextDecoder().decode(metricsBytes)) : null;
  } catch { /* shown as absent */ }
  const recorded = (metrics as { sha256?: Record<string, string> } | null)?.sha256 ?? {};
  const files: ModelFileInfo[] = [];
  for (const [name, b] of [['config.json', cfg], ['tokenizer.json', tok], ['onnx/vision_model.onnx', vision], ['onnx/text_model.onnx', text]] as const) {
    if (b) files.push({ name, bytes: b.length, sha256: await sha256Hex(b), from: 'bundled', expectedSha256: typeof recorded[name] === 'string' ? recorded[name] : null });
  }
  return { folder: { configJson, tokenizerJson: tok && new TextDecoder().decode(tok), vision, text }, files, metrics };
}

function randomInit(seed: number): ModelFolder {
  const texts = promptGroups(ALL_CLASSES).flat();
  const f = buildClipFolder(tinyClipConfig, { texts, seed, name: 'aos-workbench/tiny-clip-random-init' });
  return {
    configJson: f.files['config.json'], tokenizerJson: f.files['tokenizer.json'],
    vision: f.files['onnx/vision_model.onnx'], text: f.files['onnx/text_model.onnx'],
  };
}

export interface LocalLoadOptions {
  /** Which ONNX variant (default 'auto': fp32, else fp16, else 8-bit). */
  precision?: Precision | 'auto';
  /** Progress in words ('reading onnx/vision_model.onnx (0.4 of 1.3 MB)'). */
  onProgress?: (text: string) => void;
  signal?: AbortSignal;
  /** Internal: the files come from the model cache (`reopenLocalModel`). */
  reopen?: boolean;
}

export type ModelController = ReturnType<typeof createModelController>;

export function createModelController(deps: { cache: ModelCacheController }) {
  const { modelCache, refreshModelCache } = deps.cache;
  let current: Current | null = null;
  let remoteAbort: AbortController | null = null;
  /** The configured model (JSON of config.model) that the current local model replaced; null when none is local. */
  let localFor: string | null = null;

  let showRun = 0;
  let localRun = 0;

  /**
   * Shows the model of an experiment configuration in the Model panel, waits for it and returns its files: what
   * fine-tuning and the subspace measurements start from. `key` changes whenever the model does.
   */
  async function shownModelFiles(model: ExperimentConfig['model'], seed: number): Promise<{ key: string; title: string; kind: string; files: EngineModelFiles }> {
    await showModel(model, seed);
    const st = await settledModel();
    if (st.status === 'idle') throw new Error('the model URL is waiting for your confirmation in the Model panel: nothing is downloaded before that');
    if (st.status === 'error' || !st.value) throw new Error(`the model could not be loaded: ${st.error ?? 'unknown error'}`);
    const folder = currentFolder();
    if (!folder) throw new Error('the model folder is not available');
    const { files } = await engineModelFiles(folder, st.value.kind);
    return { key: st.key ?? 'unknown', title: st.value.title, kind: st.value.kind, files };
  }

  /** INTEGRATION POINT for the model loader: the folder now shown (null before one is loaded). */
  function currentFolder(): ModelFolder | null {
    return current?.folder ?? null;
  }

  function setModel(key: string, folder: ModelFolder, summary: ModelSummary): void {
    let tokenizer: ClipTokenizer | null = null;
    if (folder.tokenizerJson) {
      try {
        tokenizer = ClipTokenizer.fromJSON(folder.tokenizerJson, { contextLength: summary.config.text.contextLength });
      } catch (e) {
        summary.notes.push(`The tokenizer could not be read: ${message(e)}`);
      }
    } else summary.notes.push('The folder has no tokenizer.json.');
    current = { key, folder, tokenizer };
    useResourceStore.getState().patch({ model: { status: 'ready', value: summary, error: null, key } });
  }

  /** Shows the model the configuration asks for. Never fetches a URL model: that waits for `approveModelFetch`. */
  async function showModel(model: ExperimentConfig['model'], seed: number): Promise<void> {
    if (localFor !== null && current?.key.startsWith('local:')) {
      if (localFor === JSON.stringify(model)) return;
      localFor = null;
    }
    const key = model.source === 'url' ? `url:${model.url}` : model.source === 'bundled' ? 'bundled' : `random-init:${seed}`;
    const st = useResourceStore.getState().model;
    if (st.key === key && st.status !== 'error' && st.status !== 'idle') return;
    const run = ++showRun;
    const patchIfCurrent = (p: Parameters<ReturnType<typeof useResourceStore.getState>['patch']>[0]) => {
      if (run === showRun) useResourceStore.getState().patch(p);
    };
    if (model.source === 'url') {
      // Nothing is fetched here: the confirmation (ui store) and approveModelFetch do that.
      patchIfCurrent({ model: { status: 'idle', value: null, error: null, key } });
      return;
    }
    patchIfCurrent({ model: { status: 'loading', value: null, error: null, key, progress: model.source === 'bundled' ? 'looking for the bundled model…' : 'building…' } });
    try {
      if (model.source === 'bundled') {
        const bundled = await tryBundled();
        if (run !== showRun) return;
        if (bundled) {
          const { folder, files, metrics } = bundled;
          const notes = [];
          if (!folder.vision || !folder.text) notes.push('The folder lacks one of onnx/vision_model.onnx, onnx/text_model.onnx.');
          const bad = files.filter((f) => f.expectedSha256 && f.expectedSha256 !== f.sha256);
          if (bad.length) notes.push(`${bad.map((f) => f.name).join(', ')} differ${bad.length === 1 ? 's' : ''} from the sha256 recorded in metrics.json: the accuracies it lists were measured on other files.`);
          setModel(key, folder, summarize('bundled', 'Bundled tiny CLIP (pre-trained)', `${baseUrl()}${BUNDLED_MODEL_DIR}`, folder, notes, { files, metrics: metrics ?? undefined }));
          return;
        }
        const f = randomInit(seed);
        if (run !== showRun) return;
        setModel(key, f, summarize('random-init', 'Random-init tiny CLIP (not trained)', 'built in this browser from src/onnx/clip', f, [
          `The bundled pre-trained model (${baseUrl()}${BUNDLED_MODEL_DIR}config.json) is not in this build yet: it is being trained. ` +
          `Shown instead: a tiny CLIP with random CLIP-style initial weights (seed ${seed}); its zero-shot accuracy is chance level.`,
        ]));
        return;
      }
      const f = randomInit(seed);
      if (run !== showRun) return;
      setModel(key, f, summarize('random-init', 'Random-init tiny CLIP (not trained)', 'built in this browser from src/onnx/clip', f, [
        `Random CLIP-style initial weights (seed ${seed}); its zero-shot accuracy is chance level.`,
      ]));
    } catch (e) {
      patchIfCurrent({ model: { status: 'error', value: null, error: message(e), key } });
    }
  }

  /** Zero-shot prompts of the classes, with their token counts under the current model's tokenizer. */
  function computePrompts(classes: readonly string[], templates: number, synonyms: number): void {
    const key = `${current?.key ?? 'none'}|${classes.join('\u0001')}|${templates}|${synonyms}`;
    if (useResourceStore.getState().prompts.key === key) return;
    try {
      const tok = current?.tokenizer ?? null;
      const rows: PromptRow[] = classes.map((cls) => {
        const syn = synonymsFor(cls, true).slice(0, synonyms);
        const texts = PROMPT_TEMPLATES.slice(0, templates).flatMap((t) => syn.map((s) => fillTemplate(t, s)));
        const b = tok && texts.length ? tok.tokenize(texts) : null;
        return {
          className: cls, synonyms: syn,
          prompts: texts.map((text, j) => ({ text, tokens: b ? b.lengths[j] : 0, truncated: b ? b.truncated[j] : false })),
        };
      });
      useResourceStore.getState().patch({ prompts: { status: 'ready', value: rows, error: null, key } });
    } catch (e) {
      useResourceStore.getState().patch({ prompts: { status: 'error', value: null, error: message(e), key } });
    }
  }

  /**
   * Downloads the model folder the user confirmed (config.json, tokenizer.json, both ONNX towers), all under one size
   * cap, then summarises it. Called only from the confirmation dialog.
   */
  async function approveModelFetch(): Promise<void> {
    const req = useUiStore.getState().modelFetchRequest;
    if (!req) return;
    useUiStore.getState().requestModelFetch(null);
    remoteAbort?.abort();
    const abort = (remoteAbort = new AbortController());
    const capBytes = req.maxMB * 1_000_000;
    const dir = req.resolved.endsWith('/') ? req.resolved : `${req.resolved}/`;
    const key = `url:${req.url}`;
    let received = 0, downloaded = 0;
    const progress = (extra = 0, note = 'downloading') => useResourceStore.getState().patch({
      remote: { status: 'fetching', url: req.url, received: received + extra, capBytes, message: note },
    });
    useResourceStore.getState().patch({ model: { status: 'loading', value: null, error: null, key, progress: `loading ${dir}` } });
    progress(0, 'opening the model cache');
    const cache = await modelCache().catch(() => null);
    const files: ModelFileInfo[] = [];
    const get = async (name: string, optional: boolean): Promise<Uint8Array | null> => {
      let r: CachedFetchResult;
      try {
        progress(0, `checking ${name}`);
        r = await cachedFetch(dir + name, {
          cache, maxBytes: capBytes - received, signal: abort.signal, name,
          onProgress: (n, total) => progress(n, `downloading ${name}${total ? ` (${(n / 1e6).toFixed(2)} of ${(total / 1e6).toFixed(2)} MB)` : ''}`),
        });
      } catch (e) {
        if (optional && e instanceof ModelLoadError && e.code === 'missing-file') return null;
        if (e instanceof ModelLoadError && e.code === 'too-large') {
          throw new Error(`${name}: the download went over the size cap of ${req.maxMB} MB (${(received / 1e6).toFixed(2)} MB read before it)`, { cause: e });
        }
        throw e;
      }
      received += r.bytes.length;
      if (r.from === 'network') downloaded += r.bytes.length;
      files.push({ name, bytes: r.bytes.length, sha256: r.sha256, from: r.from, status: r.status, previousHash: r.previousHash, message: r.message });
      return r.bytes;
    };
    try {
      const cfg = await get('config.json', false);
      const configJson = new TextDecoder().decode(cfg!);
      const tok = await get('tokenizer.json', true);
      const vision = await get('onnx/vision_model.onnx', false);
      const text = await get('onnx/text_model.onnx', false);
      const folder: ModelFolder = { configJson, tokenizerJson: tok && new TextDecoder().decode(tok), vision, text };
      const fromCache = files.filter((f) => f.from === 'cache');
      const changed = files.filter((f) => f.status === 'changed');
      const notes = [fromCache.length === files.length
        ? `All ${files.length} files from this browser's model cache (${(received / 1e6).toFixed(2)} MB; the server confirmed each is unchanged): nothing downloaded.`
        : `Downloaded ${(downloaded / 1e6).toFixed(2)} MB${fromCache.length ? `, ${((received - downloaded) / 1e6).toFixed(2)} MB from this browser's model cache` : ''}, of at most ${req.maxMB} MB.`];
      if (changed.length) notes.push(`Changed since the cached copy: ${changed.map((f) => `${f.name} (sha256 ${f.previousHash!.slice(0, 12)}… → ${f.sha256.slice(0, 12)}…)`).join(', ')}.`);
      for (const f of files) if (f.message && f.status !== 'changed') notes.push(f.message);
      if (!isSameOriginPath(req.url)) notes.push('From another site: check you trust it before using its results.');
      setModel(key, folder, summarize('remote', 'CLIP model folder from a URL', req.resolved, folder, notes, { files }));
      useResourceStore.getState().patch({ remote: { status: 'done', url: req.url, received, capBytes, message: null } });
    } catch (e) {
      const aborted = abort.signal.aborted;
      useResourceStore.getState().patch({
        remote: { status: aborted ? 'cancelled' : 'error', url: req.url, received, capBytes, message: message(e) },
        model: { status: 'error', value: null, error: aborted ? 'download cancelled' : message(e), key },
      });
    } finally {
      void refreshModelCache().catch(() => undefined);
    }
  }

  function cancelModelFetch(): void {
    remoteAbort?.abort();
  }

  /**
   * Loads a CLIP folder from local files (a picker's FileList, or a drop's files with their paths) and makes it the
   * current model. Throws the loader's error (missing file, broken ONNX file, …) and then changes nothing: the model
   * shown before stays current. Returns the summary, or null when a newer local load superseded this one.
   */
  async function loadLocalModel(input: LocalFilesInput, options: LocalLoadOptions = {}): Promise<ModelSummary | null> {
    const run = ++localRun;
    if (toPathedFiles(input).length === 0) throw new ModelLoadError('missing-file', 'no files were chosen');
    // A model .zip (the Runs panel's export) becomes the files of a folder; a bad zip throws here, changing nothing.
    const unzipped = await expandModelZip(toPathedFiles(input));
    const files = unzipped.files;
    const inner = localModelSource(files);
    // Keep what the loader reads, to store it in the model cache once the load succeeds.
    const read = new Map<string, Uint8Array>();
    const source: typeof inner = { ...inner, read: async (name, o) => { const b = await inner.read(name, o); read.set(name, b); return b; } };
    const cache = await modelCache().catch(() => null);
    const say = (t: string) => { if (run === localRun) options.onProgress?.(t); };
    say(`checking ${files.length} files`);
    const loaded = await loadClipModel(source, {
      precision: options.precision ?? 'auto', maxBytes: DEFAULT_MAX_BYTES, requireGradients: false, signal: options.signal,
      // An unchanged file (same name, size, lastModified) the cache knows is not hashed again.
      knownSha256: (name, size) => {
        if (unzipped.zip) return null; // a zip's files share its lastModified: hash them, never trust a cached key
        const pf = matchLoadedFile(files, name);
        const r = pf && cache ? cache.source(fileSourceKey(pf.path, pf.file)) : null;
        return r && r.size === size ? r.hash : null;
      },
      onProgress: (p) => say(`reading ${p.file} (${(p.overallLoaded / 1e6).toFixed(2)}${p.overallTotal !== null ? ` of ${(p.overallTotal / 1e6).toFixed(2)}` : ''} MB)`),
    });
    if (!loaded.config || loaded.configJson === undefined) {
      const why = loaded.warnings.find((w) => w.startsWith('config.json')) ?? 'config.json is missing';
      throw new ModelLoadError('missing-file', `${why}. The workbench needs config.json (a CLIPModel config) for the model's sizes, its prompts' context length and fine-tuning`, 'config.json');
    }
    say('summarising the graphs');
    const dec = new TextDecoder();
    const tokenizerJson = dec.decode(await source.read('tokenizer.json'));
    const preprocessorJson = dec.decode(await source.read('preprocessor_config.json'));
    const folder: ModelFolder = { configJson: JSON.stringify(loaded.configJson), tokenizerJson, preprocessorJson, vision: loaded.vision.bytes, text: loaded.text.bytes };
    const origin = localOriginLabel(files);
    const notes = [
      `Read on this machine from ${origin}: nothing was uploaded or downloaded. Local models are not part of shared links (a link still names the configured source).`,
      ...unzipped.notes,
      variantsNote(loaded.plan.listing, loaded.precision),
      ...[loaded.vision, loaded.text].filter((t) => t.steps.length).map((t) => `${t.tower} tower (${t.file}): ${t.steps.join('; ')}.`),
      ...loaded.warnings,
    ];
    // A file changed since the cached local model with the same path (another size / lastModified, new bytes).
    const recent = cache?.localModels() ?? [];
    const info: ModelFileInfo[] = loaded.files.map((f) => {
      const pf = matchLoadedFile(files, f.name);
      const fi: ModelFileInfo = { name: f.name, bytes: f.bytes, sha256: f.sha256, from: options.reopen ? 'cache' : 'local', message: options.reopen ? 'verified against its stored sha256' : f.from };
      if (options.reopen) fi.status = 'hit';
      else if (pf) {
        const prev = recent.flatMap((r) => r.files).find((x) => x.path === pf.path && (x.size !== pf.file.size || x.lastModified !== pf.file.lastModified));
        if (prev && prev.sha256 !== f.sha256) {
          fi.status = 'changed';
          fi.previousHash = prev.sha256;
          notes.push(`${f.name} changed since it was cached: sha256 ${prev.sha256.slice(0, 12)}… → ${f.sha256.slice(0, 12)}…`);
        }
      }
      return fi;
    });
    if (options.reopen) notes.unshift(`Reopened from the browser's model cache: no files were picked; every file was verified against its stored sha256.`);
    const summary = summarize('local', 'CLIP model folder from local files', origin, folder, notes, { files: info });
    const fileBytes = new Map(loaded.files.map((f) => [f.name, f.bytes]));
    for (const t of summary.towers) {
      const lt = t.tower === 'vision' ? loaded.vision : loaded.text;
      t.precision = towerPrecisionLabel(loaded.precision, lt.steps);
      t.bytes = fileBytes.get(lt.file) ?? t.bytes;
    }
    if (run !== localRun) return null;
    if (cache) {
      say('storing the files in the model cache');
      const note = await storeLocalModel(cache, files, loaded.files, read).catch((e: unknown) => `not cached: ${message(e)}`);
      if (note) summary.notes.push(note);
      void refreshModelCache();
    }
    if (run !== localRun) return null;
    ++showRun;
    remoteAbort?.abort();
    localFor = JSON.stringify(useExperimentStore.getState().config.model);
    setModel(localModelKey(files), folder, summary);
    return summary;
  }

  /** Recent local models in the model cache, most recent first. */
  async function recentLocalModels(): Promise<LocalModelRecord[]> {
    return (await modelCache()).localModels();
  }

  /** Removes a recent local model from the list. */
  async function forgetLocalModel(id: string): Promise<void> {
    await (await modelCache()).forgetLocalModel(id);
    void refreshModelCache();
  }

  /**
   * Loads a recent local model from the model cache, no files picked: every blob verified against its sha256. A missing
   * or corrupted blob throws a message and drops the entry; the model loaded before stays current.
   */
  async function reopenLocalModel(id: string, options: Omit<LocalLoadOptions, 'reopen'> = {}): Promise<ModelSummary | null> {
    const r = await (await modelCache()).readLocalModel(id);
    if (!r.ok) throw new Error(r.reason);
    const files: PathedFile[] = r.record.files.map((f) => ({
      path: f.path, file: new File([r.bytes.get(f.path)! as Uint8Array<ArrayBuffer>], f.path.split('/').pop()!, { lastModified: f.lastModified }),
    }));
    return loadLocalModel(files, { ...options, reopen: true });
  }

  /** Leaves a local model: the configured source is shown again. */
  async function unloadLocalModel(): Promise<void> {
    if (!current?.key.startsWith('local:')) return;
    localFor = null;
    current = null;
    const { model, seed } = useExperimentStore.getState().config;
    await showModel(model, seed);
  }

  return { showModel, shownModelFiles, currentFolder, computePrompts, approveModelFetch, cancelModelFetch, loadLocalModel, reopenLocalModel, recentLocalModels, forgetLocalModel, unloadLocalModel };
}
