/**
 * src/engine/results.ts: the committed results file by default, and a user's file as untrusted input — refused
 * before reading when too large, refused with the field named when invalid, and a refusal leaves the table on show.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { committedOrder, createResultsController, type ResultsController } from '../../src/engine/results';
import { MAX_RESULTS_FILE_BYTES } from '../../src/methods/resultsView';
import { useResultsStore } from '../../src/state/results';
import { syntheticResults } from '../helpers/syntheticResults';

const named = (text: string, name: string) => Object.assign(new Blob([text], { type: 'application/json' }), { name });

describe('results files in the page', () => {
  // A fresh controller per test (as the page's root makes one): the committed file is tried afresh each time.
  let results: ResultsController;
  beforeEach(() => {
    results = createResultsController();
    useResultsStore.setState({ status: 'idle', file: null, source: null, problem: null, committedSkipped: [], cell: null, reference: null, runA: null, runB: null, linkUrl: null, linkCell: null, linkNote: null });
  });
  afterEach(() => vi.unstubAllGlobals());

  /** A fetch that answers only when `release` is called: the link's file is still on its way meanwhile. */
  function slowFetch(body: string) {
    let release!: () => void;
    const answered = new Promise<void>((r) => { release = r; });
    vi.stubGlobal('fetch', async () => {
      await answered;
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } }) as Response & { url: string };
    });
    return () => release();
  }

  it("a link's cell waits for the link's file even when the committed file arrives while it is fetched", async () => {
    const url = 'https://results.example.org/synthetic.json';
    useResultsStore.getState().patch({ linkUrl: url, linkCell: { set: 'mnist/test', eps: 8 / 255 } });
    const release = slowFetch(JSON.stringify(syntheticResults()));
    const opened = results.openResultsUrl(url, url); // the user confirmed
    await results.loadCommittedResults(); // the committed table arrives first (CI once saw this order)
    release();
    expect(await opened).toBe(true);
    const st = useResultsStore.getState();
    expect(st.source).toBe(`${url} (from a link)`);
    expect(st.cell).toEqual({ set: 'mnist/test', eps: 8 / 255 });
    expect(st.linkCell).toBeNull();
  });

  it("a refused link's file: its cell is tried on the table still on show", async () => {
    const url = 'https://results.example.org/broken.json';
    await results.openResultsFile(named(JSON.stringify(syntheticResults()), 'good.json'));
    useResultsStore.getState().patch({ linkUrl: url, linkCell: { set: 'mnist/test', eps: 16 / 255 } });
    const release = slowFetch('{"not": "results"}');
    const opened = results.openResultsUrl(url, url);
    results.applyLinkCell(); // e.g. another link read meanwhile: the cell still waits
    expect(useResultsStore.getState().cell).toEqual({ set: 'fashion-mnist/test', eps: 8 / 255 });
    release();
    expect(await opened).toBe(false);
    const st = useResultsStore.getState();
    expect(st.problem).toMatch(/^https:\/\/results\.example\.org\/broken\.json was not opened: /);
    expect(st.source).toBe('good.json (your file)');
    expect(st.cell).toEqual({ set: 'mnist/test', eps: 16 / 255 });
  });

  it('committed files: the full protocol first; a non-v1 file is skipped with why; nothing v1 → "none"', async () => {
    expect(committedOrder(['/results/lambda-sweep.json', '/results/eval-robust.json', '/results/reproduce-quick.json', '/results/reproduce.json']))
      .toEqual(['/results/reproduce.json', '/results/reproduce-quick.json', '/results/eval-robust.json', '/results/lambda-sweep.json']);
    await results.loadCommittedResults();
    const st = useResultsStore.getState();
    // Whichever the repository holds: a committed v1 file is shown, else the panel says there is none.
    if (st.status === 'ready') expect(st.source).toMatch(/^results\/.*\.json \(committed\)$/);
    else {
      expect(st.status).toBe('none');
      expect(st.committedSkipped.join('\n')).toMatch(/results\/reproduce-quick\.json: not a results file \(format v1 or v2\)/);
    }
  });

  it('opens a valid file and selects the headline cell, the reference and two runs of different methods', async () => {
    expect(await results.openResultsFile(named(JSON.stringify(syntheticResults()), 'sweep.json'))).toBe(true);
    const st = useResultsStore.getState();
    expect(st.source).toBe('sweep.json (your file)');
    expect(st.cell).toEqual({ set: 'fashion-mnist/test', eps: 8 / 255 });
    expect(st.reference).toBe('aos');
    expect([st.runA, st.runB]).toEqual(['aos-seed0', 'none']);
    results.selectCell({ set: 'mnist/test', eps: 0 });
    expect(useResultsStore.getState().runA).toBe('aos-seed0'); // kept: it has that cell too
  });

  it('refuses a hostile file naming the field, and an oversized one before reading it; the table on show stays', async () => {
    await results.openResultsFile(named(JSON.stringify(syntheticResults()), 'good.json'));
    const bad = syntheticResults() as unknown as { runs: { cells: { n: unknown }[] }[] };
    bad.runs[2].cells[1].n = -5;
    expect(await results.openResultsFile(named(JSON.stringify(bad), 'bad.json'))).toBe(false);
    expect(useResultsStore.getState().problem).toMatch(/^bad\.json was not opened: \$\.runs\[2\]\.cells\[1\]\.n: -5 is outside \[1, 100000\]/);
    let read = false;
    const huge = { name: 'huge.json', size: MAX_RESULTS_FILE_BYTES + 1, text: () => { read = true; return Promise.resolve('{}'); } } as unknown as Blob & { name: string };
    expect(await results.openResultsFile(huge)).toBe(false);
    expect(read).toBe(false);
    expect(useResultsStore.getState().problem).toMatch(/huge\.json was not opened: it is 64\.0 MiB; a results file is read up to 64 MiB/);
    expect(useResultsStore.getState().source).toBe('good.json (your file)');
    expect(useResultsStore.getState().file?.runs.length).toBe(10);
  });
});
