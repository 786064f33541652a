/**
 * The `responsiveness` case of `npm run bench`: runs the Playwright bench bench/browser/responsiveness.spec.ts (the
 * built app in Chromium, WebGPU on SwiftShader) and turns its phases into result rows. Its `medianMs` is the longest
 * main-thread task of the phase; the other measures are in `rates` (all in ms, except the counts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from './harness';
import type { PhaseStats } from './browser/responsiveness';

export function benchResponsiveness(): BenchResult[] {
  const out = join(mkdtempSync(join(tmpdir(), 'aos-resp-')), 'responsiveness.json');
  const r = spawnSync('npx', ['playwright', 'test', '--config', 'bench/browser/responsiveness.config.ts'], {
    stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, BENCH_OUT: out },
  });
  let doc: { adapter: Record<string, unknown> | null; thresholds: Record<string, number>; phases: Array<PhaseStats & { tasksWithin: boolean; clicksWithin: boolean }> };
  try {
    doc = JSON.parse(readFileSync(out, 'utf8'));
  } catch {
    return [{ name: 'responsiveness', params: {}, timing: 'wall-clock', medianMs: NaN, minMs: NaN, runs: 0, note: `failed: the Playwright bench exited with ${r.status} and wrote no results` }];
  }
  const adapter = doc.adapter ? `${doc.adapter.vendor}/${doc.adapter.architecture}` : 'no adapter';
  return doc.phases.map((p) => ({
    name: `responsiveness/${p.phase}`,
    params: { adapter, seconds: p.seconds, clicks: p.clicks, tasksWithin: p.tasksWithin, clicksWithin: p.clicksWithin },
    timing: 'wall-clock',
    medianMs: p.longestTaskMs,
    minMs: p.longestTaskMs,
    runs: 1,
    rates: {
      longestTaskMs: p.longestTaskMs, longTaskTotalMs: p.longTaskTotalMs, longTasks: p.longTasks,
      longestFrameGapMs: p.longestFrameGapMs, longestClickToPaintMs: p.longestClickToPaintMs, slowClicks: p.slowClicks,
    },
    note: `page main thread (${adapter}); thresholds: tasks ≤ ${doc.thresholds.longestTaskMs} ms, clicks paint ≤ ${doc.thresholds.clickToPaintMs} ms`,
  }));
}
