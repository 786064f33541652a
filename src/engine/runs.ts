/**
 * Run persistence for the page (no React, no GPU): opens the run storage once (IndexedDB, else memory), marks
 * runs left 'running' by a closed or reloaded page as 'interrupted', and keeps the runs store (src/state/runs.ts)
 * and the storage in step. The fine-tuning engine (fineTune.ts) writes through here; the panels call
 * `ensureRunsLoaded`, `deleteRun` and the import (through the engine Worker: src/engine/bridge/api.ts); the
 * downloads are the page's (src/engine/download.ts). One controller per engine root: it opens the storage once.
 */
import type { RunRecord } from '../storage/runRecord';
import { MAX_RUN_FILE_CHARS, parseRunFile } from '../storage/runImport';
import { runToRestore } from '../storage/runRestore';
import { openRunStorage, recoverInterrupted, type DamagedRun, type RunStorage, type StoredCheckpoint } from '../storage/runs';
import { useRunsStore } from '../state/runs';

const LOCK_PREFIX = 'aos-workbench-run:';

/** Run ids another tab of this browser is running now (they hold a Web Lock while they run). */
async function runsHeldElsewhere(): Promise<Set<string>> {
  const locks = typeof navigator !== 'undefined' ? (navigator as Navigator & { locks?: LockManager }).locks : undefined;
  if (!locks?.query) return new Set();
  try {
    const q = await locks.query();
    return new Set((q.held ?? []).map((l) => l.name ?? '').filter((n) => n.startsWith(LOCK_PREFIX)).map((n) => n.slice(LOCK_PREFIX.length)));
  } catch {
    return new Set();
  }
}

/** Holds this run's lock while it runs here (other tabs then do not mark it interrupted); returns the release. */
export function holdRunLock(id: string): () => void {
  const locks = typeof navigator !== 'undefined' ? (navigator as Navigator & { locks?: LockManager }).locks : undefined;
  if (!locks?.request) return () => undefined;
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  locks.request(LOCK_PREFIX + id, () => held).catch(() => undefined);
  return release;
}

export type RunsController = ReturnType<typeof createRunsController>;

export function createRunsController() {
  let storageP: Promise<RunStorage> | undefined;

  /** Opens the storage and loads every run into the store (once per controller). */
  function ensureRunsLoaded(): Promise<RunStorage> {
    storageP ??= (async () => {
      const { storage, note } = await openRunStorage();
      const elsewhere = await runsHeldElsewhere();
      let runs: RunRecord[];
      let damaged: DamagedRun[] = [];
      try {
        runs = await recoverInterrupted(storage, Date.now(), (id) => elsewhere.has(id));
        damaged = await storage.damaged();
        useRunsStore.getState().patch({ damaged });
      } catch (e) {
        runs = [];
        useRunsStore.getState().patch({ error: `stored runs could not be read: ${String((e as Error)?.message ?? e)}` });
      }
      const s = useRunsStore.getState();
      // Records this page made before the storage opened stay (they are newer).
      const mine = new Map(s.runs.map((r) => [r.id, r]));
      for (const r of runs) if (!mine.has(r.id)) s.upsert(r);
      // A reloaded page shows where it left off: the latest stored run becomes the active one (unless this page
      // already chose or started one), so Fine-tune shows it with its charts and Subspaces can open it.
      const restore = runToRestore(runs, damaged);
      const cur = useRunsStore.getState();
      if (cur.activeRunId === null && (restore.id !== null || restore.note)) {
        cur.patch({ activeRunId: restore.id, restored: restore.note ? { runId: restore.id, note: restore.note } : null });
      }
      s.patch({ storage: { status: 'ready', kind: storage.kind, note } });
      return storage;
    })();
    return storageP;
  }

  /** Stores a record and shows it (returns the stored, bounded record). */
  async function saveRun(r: RunRecord): Promise<RunRecord> {
    const st = await ensureRunsLoaded();
    const stored = await st.put(r);
    useRunsStore.getState().upsert(stored);
    return stored;
  }

  /** Shows a record now and stores it without waiting (live steps). Storage errors go to the store. */
  function showRun(r: RunRecord, persist: boolean): void {
    useRunsStore.getState().upsert(r);
    if (persist) {
      void ensureRunsLoaded().then((st) => st.put(r)).catch((e: unknown) => {
        useRunsStore.getState().patch({ error: `the run could not be stored: ${String((e as Error)?.message ?? e)}` });
      });
    }
  }

  async function saveCheckpoint(c: StoredCheckpoint): Promise<void> {
    await (await ensureRunsLoaded()).putCheckpoint(c);
  }

  /** Stores a checkpoint and the record naming it in one transaction, then shows the record. */
  async function saveCheckpointAndRun(c: StoredCheckpoint, r: RunRecord): Promise<RunRecord> {
    const stored = await (await ensureRunsLoaded()).putCheckpointAndRecord(c, r);
    useRunsStore.getState().upsert(stored);
    return stored;
  }

  async function loadCheckpoint(id: string): Promise<StoredCheckpoint | null> {
    return (await ensureRunsLoaded()).getCheckpoint(id);
  }

  async function deleteStoredRun(id: string): Promise<void> {
    await (await ensureRunsLoaded()).delete(id);
    useRunsStore.getState().remove(id);
  }

  /**
   * Adds a run from a file written by `exportRunJson` (validated as untrusted: src/storage/runImport.ts). Returns the
   * stored record and warnings (ignored keys); throws with a clear message, storing nothing, when the file is refused
   * or a run with the same id is already in the list.
   */
  async function importRunFile(file: Blob & { name?: string }): Promise<{ run: RunRecord; warnings: string[] }> {
    const name = file.name ?? 'run.json';
    const why = (reason: string) => new Error(`${name} was not imported: ${reason}`);
    if (file.size > MAX_RUN_FILE_CHARS) throw why(`it is ${(file.size / (1024 * 1024)).toFixed(1)} MiB; a run file is read up to ${MAX_RUN_FILE_CHARS / (1024 * 1024)} MiB`);
    const r = parseRunFile(await file.text(), name);
    if (!r.ok) throw why(r.reason);
    const st = await ensureRunsLoaded();
    if (useRunsStore.getState().runs.some((x) => x.id === r.run.id) || (await st.get(r.run.id))) {
      throw why(`a run with its id (${r.run.id}) is already in the list`);
    }
    const stored = await st.put(r.run);
    useRunsStore.getState().upsert(stored);
    return { run: stored, warnings: r.warnings };
  }

  /** Deletes a damaged stored record (and any checkpoint under its key). */
  async function deleteDamagedRun(id: string): Promise<void> {
    const st = await ensureRunsLoaded();
    await st.delete(id);
    useRunsStore.getState().patch({ damaged: useRunsStore.getState().damaged.filter((d) => d.id !== id) });
  }

  return { ensureRunsLoaded, saveRun, showRun, saveCheckpoint, saveCheckpointAndRun, loadCheckpoint, deleteStoredRun, importRunFile, deleteDamagedRun };
}
