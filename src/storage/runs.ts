/**
 * Persistence of fine-tuning runs (no React): records (configuration, status, metrics) and the latest checkpoint
 * of each run, in IndexedDB in the browser and in memory elsewhere (Node tests). Bounded: one checkpoint per run
 * (a new one replaces the old), metrics bounded by `boundMetrics` before each write.
 *
 * IndexedDB layout: database `aos-workbench-runs` v1, object stores `runs` (RunRecord, key `id`) and
 * `checkpoints` ({ id, step, bytes }, key `id`): listing runs never reads checkpoint bytes. Every record read back
 * passes the same field checks as an imported run file (`readStoredRun`); one that fails is listed by `damaged()`
 * instead of reaching the panels.
 */
import { boundMetrics, type RunRecord } from './runRecord';
import { readStoredRun } from './runImport';

/** A stored record that fails the record checks (src/storage/runImport.ts): shown apart, exportable raw, deletable. */
export interface DamagedRun {
  /** The storage key (a string, or a description when the key is not one). */
  id: string;
  reason: string;
  /** The record as stored (plain data, for the raw export). */
  raw: unknown;
}

/** Splits raw stored records (with their keys) into checked runs and damaged ones. */
function checkAll(entries: Array<[IDBValidKey, unknown]>): { runs: RunRecord[]; damaged: DamagedRun[] } {
  const runs: RunRecord[] = [], damaged: DamagedRun[] = [];
  for (const [key, raw] of entries) {
    const r = readStoredRun(raw);
    if (r.ok) runs.push(r.run);
    else damaged.push({ id: typeof key === 'string' ? key : String(key).slice(0, 80), reason: r.reason, raw });
  }
  return { runs: runs.sort(newestFirst), damaged };
}

export interface StoredCheckpoint {
  id: string;
  step: number;
  bytes: Uint8Array;
}

export interface RunStorage {
  readonly kind: 'indexeddb' | 'memory';
  /** Every run that passes the record checks, newest first. */
  list(): Promise<RunRecord[]>;
  /** Stored records that fail them. */
  damaged(): Promise<DamagedRun[]>;
  get(id: string): Promise<RunRecord | null>;
  /** Writes a record (its metrics bounded first). Returns what was stored. */
  put(r: RunRecord): Promise<RunRecord>;
  /** Replaces the run's checkpoint. */
  putCheckpoint(c: StoredCheckpoint): Promise<void>;
  /**
   * Replaces the run's checkpoint and writes its record in one transaction: a crash or a full disk leaves both as
   * they were or both new, never a record that names a checkpoint it does not have. Returns the stored record.
   */
  putCheckpointAndRecord(c: StoredCheckpoint, r: RunRecord): Promise<RunRecord>;
  getCheckpoint(id: string): Promise<StoredCheckpoint | null>;
  /** Removes the record and its checkpoint. */
  delete(id: string): Promise<void>;
}

function bounded(r: RunRecord): RunRecord {
  const { metrics, dropped } = boundMetrics(r.metrics);
  return dropped || metrics !== r.metrics ? { ...r, metrics, thinned: r.thinned + dropped } : r;
}

const newestFirst = (a: RunRecord, b: RunRecord) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1);

/** Runs kept in memory (structured copies, as IndexedDB would give back). */
export class MemoryRunStorage implements RunStorage {
  readonly kind = 'memory' as const;
  private readonly runs = new Map<string, RunRecord>();
  private readonly checkpoints = new Map<string, StoredCheckpoint>();

  async list(): Promise<RunRecord[]> {
    return checkAll([...this.runs.entries()].map(([k, r]) => [k, structuredClone(r)])).runs;
  }

  async damaged(): Promise<DamagedRun[]> {
    return checkAll([...this.runs.entries()].map(([k, r]) => [k, structuredClone(r)])).damaged;
  }

  async get(id: string): Promise<RunRecord | null> {
    const r = this.runs.get(id);
    if (!r) return null;
    const c = readStoredRun(structuredClone(r));
    return c.ok ? c.run : null;
  }

  async put(r: RunRecord): Promise<RunRecord> {
    const b = bounded(r);
    this.runs.set(r.id, structuredClone(b));
    return b;
  }

  async putCheckpoint(c: StoredCheckpoint): Promise<void> {
    if (!this.runs.has(c.id)) throw new Error(`no run ${c.id} to keep a checkpoint for`);
    this.checkpoints.set(c.id, { id: c.id, step: c.step, bytes: c.bytes.slice() });
  }

  async putCheckpointAndRecord(c: StoredCheckpoint, r: RunRecord): Promise<RunRecord> {
    if (c.id !== r.id) throw new Error(`checkpoint of ${c.id} with the record of ${r.id}`);
    const b = bounded(r);
    this.runs.set(r.id, structuredClone(b));
    this.checkpoints.set(c.id, { id: c.id, step: c.step, bytes: c.bytes.slice() });
    return b;
  }

  async getCheckpoint(id: string): Promise<StoredCheckpoint | null> {
    const c = this.checkpoints.get(id);
    return c ? { id: c.id, step: c.step, bytes: c.bytes.slice() } : null;
  }

  async delete(id: string): Promise<void> {
    this.runs.delete(id);
    this.checkpoints.delete(id);
  }
}

const DB_NAME = 'aos-workbench-runs';
const RUNS = 'runs', CHECKPOINTS = 'checkpoints';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted (storage full?)'));
  });
}

/** Runs in the browser's IndexedDB. */
export class IdbRunStorage implements RunStorage {
  readonly kind = 'indexeddb' as const;
  private constructor(private readonly db: IDBDatabase) {}

  static async open(factory: IDBFactory = indexedDB, name = DB_NAME): Promise<IdbRunStorage> {
    const req = factory.open(name, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(RUNS)) db.createObjectStore(RUNS, { keyPath: 'id' });
      if (!db.objectStoreNames.contains(CHECKPOINTS)) db.createObjectStore(CHECKPOINTS, { keyPath: 'id' });
    };
    return new IdbRunStorage(await request(req));
  }

  private async entries(): Promise<Array<[IDBValidKey, unknown]>> {
    const tx = this.db.transaction(RUNS, 'readonly');
    const store = tx.objectStore(RUNS);
    const [keys, values] = await Promise.all([request(store.getAllKeys()), request(store.getAll() as IDBRequest<unknown[]>)]);
    return keys.map((k, i) => [k, values[i]]);
  }

  async list(): Promise<RunRecord[]> {
    return checkAll(await this.entries()).runs;
  }

  async damaged(): Promise<DamagedRun[]> {
    return checkAll(await this.entries()).damaged;
  }

  async get(id: string): Promise<RunRecord | null> {
    const tx = this.db.transaction(RUNS, 'readonly');
    const raw = await request(tx.objectStore(RUNS).get(id) as IDBRequest<unknown>);
    if (raw === undefined) return null;
    const c = readStoredRun(raw);
    return c.ok ? c.run : null;
  }

  async put(r: RunRecord): Promise<RunRecord> {
    const b = bounded(r);
    const tx = this.db.transaction(RUNS, 'readwrite');
    tx.objectStore(RUNS).put(b);
    await done(tx);
    return b;
  }

  async putCheckpoint(c: StoredCheckpoint): Promise<void> {
    const tx = this.db.transaction(CHECKPOINTS, 'readwrite');
    tx.objectStore(CHECKPOINTS).put({ id: c.id, step: c.step, bytes: c.bytes });
    await done(tx);
  }

  async putCheckpointAndRecord(c: StoredCheckpoint, r: RunRecord): Promise<RunRecord> {
    if (c.id !== r.id) throw new Error(`checkpoint of ${c.id} with the record of ${r.id}`);
    const b = bounded(r);
    const tx = this.db.transaction([RUNS, CHECKPOINTS], 'readwrite');
    tx.objectStore(CHECKPOINTS).put({ id: c.id, step: c.step, bytes: c.bytes });
    tx.objectStore(RUNS).put(b);
    await done(tx);
    return b;
  }

  async getCheckpoint(id: string): Promise<StoredCheckpoint | null> {
    const tx = this.db.transaction(CHECKPOINTS, 'readonly');
    const c = await request(tx.objectStore(CHECKPOINTS).get(id) as IDBRequest<StoredCheckpoint | undefined>);
    return c ? { id: c.id, step: c.step, bytes: new Uint8Array(c.bytes) } : null;
  }

  async delete(id: string): Promise<void> {
    const tx = this.db.transaction([RUNS, CHECKPOINTS], 'readwrite');
    tx.objectStore(RUNS).delete(id);
    tx.objectStore(CHECKPOINTS).delete(id);
    await done(tx);
  }
}

/** IndexedDB when the host has it (and it opens), else memory; `note` says why memory was used. */
export async function openRunStorage(): Promise<{ storage: RunStorage; note: string | null }> {
  if (typeof indexedDB === 'undefined') return { storage: new MemoryRunStorage(), note: 'no IndexedDB here: runs last until the page closes' };
  try {
    return { storage: await IdbRunStorage.open(), note: null };
  } catch (e) {
    return { storage: new MemoryRunStorage(), note: `IndexedDB could not be opened (${String((e as Error)?.message ?? e)}): runs last until the page closes` };
  }
}

/**
 * Marks runs that were running when their page went away as interrupted (a 'running' record found at start-up
 * has no page running it, unless `runningElsewhere` says another tab holds it). Returns the records after the change.
 */
export async function recoverInterrupted(storage: RunStorage, now = Date.now(), runningElsewhere: (id: string) => boolean = () => false): Promise<RunRecord[]> {
  const runs = await storage.list();
  const out: RunRecord[] = [];
  for (const r of runs) {
    if (r.status === 'running' && !r.imported && !runningElsewhere(r.id)) {
      const fixed: RunRecord = {
        ...r, status: 'interrupted', updatedAt: now,
        message: r.checkpointStep !== null
          ? `interrupted (the page was closed or reloaded at step ${r.step}); resume continues from the checkpoint of step ${r.checkpointStep}`
          : `interrupted (the page was closed or reloaded at step ${r.step}) before a checkpoint was written: it cannot be resumed`,
      };
      out.push(await storage.put(fixed));
    } else out.push(r);
  }
  return out;
}
