/**
 * The engine's and the page's roots own every controller (no module of src/engine keeps state): a root makes each
 * controller once, and two roots share nothing — what lets tests start fresh.
 */
import { describe, expect, it } from 'vitest';
import { createResultsController } from '../../src/engine/results';
import { EngineRoot } from '../../src/engine/root';
import { useResultsStore } from '../../src/state/results';

describe('engine roots', () => {
  it('a root makes each controller once; another root makes its own', async () => {
    const a = new EngineRoot(), b = new EngineRoot();
    expect(await a.model()).toBe(await a.model());
    expect(await a.modelCache()).toBe(await a.modelCache());
    expect(await a.runs()).not.toBe(await b.runs());
    expect(await a.model()).not.toBe(await b.model());
    expect(await a.data()).not.toBe(await b.data());
    // Each model controller opens its own root's cache.
    expect(await (await a.modelCache()).modelCache()).not.toBe(await (await b.modelCache()).modelCache());
  });

  it('two results controllers each load the committed file (nothing remembered between them)', async () => {
    for (let i = 0; i < 2; i++) {
      useResultsStore.setState({ status: 'idle', file: null, source: null, problem: null, committedSkipped: [] });
      const results = createResultsController();
      await results.loadCommittedResults();
      expect(useResultsStore.getState().status).not.toBe('idle');
      // A second call on the same controller does nothing (the committed file is tried once per controller).
      useResultsStore.setState({ status: 'idle' });
      await results.loadCommittedResults();
      expect(useResultsStore.getState().status).toBe('idle');
    }
  });

});
