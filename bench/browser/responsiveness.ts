/**
 * Page-side probes of the responsiveness bench (bench/browser/responsiveness.spec.ts), installed with
 * `page.addInitScript` before any of the app's scripts run: long tasks of the page's main thread (Long Tasks API),
 * the gaps between animation frames, and slow events (Event Timing, `durationThreshold` 16 ms: a click missing from
 * the list painted within 16 ms). Everything is kept with its start time, so the spec cuts it into phases afterwards.
 */
export interface ResponsivenessLog {
  /** [start ms, duration ms] of each long task (> 50 ms) on the page's main thread. */
  longTasks: Array<[number, number]>;
  /** [start ms, gap ms] of each frame gap over 50 ms (requestAnimationFrame to requestAnimationFrame). */
  frameGaps: Array<[number, number]>;
  /** Event Timing entries ≥ 16 ms: [start ms, duration ms (event to next paint), name, input delay ms]. */
  events: Array<[number, number, string, number]>;
  /** Frames seen (a rough frame rate over the whole run). */
  frames: number;
}

/** Installs the observers; runs in the page (serialised by Playwright, so it must not close over anything). */
export function installResponsivenessProbes(): void {
  const log: ResponsivenessLog = { longTasks: [], frameGaps: [], events: [], frames: 0 };
  (globalThis as unknown as { __responsiveness: ResponsivenessLog }).__responsiveness = log;
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) log.longTasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch { /* no Long Tasks API */ }
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries() as PerformanceEventTiming[]) {
        if (e.name === 'click' || e.name === 'pointerdown' || e.name === 'pointerup' || e.name === 'mousedown' || e.name === 'mouseup') {
          log.events.push([e.startTime, e.duration, e.name, e.processingStart - e.startTime]);
        }
      }
    }).observe({ type: 'event', buffered: true, durationThreshold: 16 } as PerformanceObserverInit);
  } catch { /* no Event Timing */ }
  let last = performance.now();
  const frame = (t: number) => {
    log.frames++;
    if (t - last > 50) log.frameGaps.push([last, t - last]);
    last = t;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

export interface PhaseStats {
  phase: string;
  seconds: number;
  longestTaskMs: number;
  longTaskTotalMs: number;
  longTasks: number;
  longestFrameGapMs: number;
  clicks: number;
  /** Longest click (Event Timing 'click', event to next paint); 0 when every click painted within 16 ms. */
  longestClickToPaintMs: number;
  /** Clicks over the 200 ms threshold. */
  slowClicks: number;
}

/** The log cut to [from, to) (page time, ms). Tasks and gaps count in the phase they start in. */
export function phaseStats(log: ResponsivenessLog, phase: string, from: number, to: number, clicks: number): PhaseStats {
  const inside = <T extends [number, number, ...unknown[]]>(xs: T[]) => xs.filter(([t]) => t >= from && t < to);
  const tasks = inside(log.longTasks), gaps = inside(log.frameGaps), clickEvents = inside(log.events).filter((e) => e[2] === 'click');
  const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), 0);
  return {
    phase,
    seconds: +((to - from) / 1000).toFixed(1),
    longestTaskMs: Math.round(max(tasks.map((t) => t[1]))),
    longTaskTotalMs: Math.round(tasks.reduce((a, t) => a + t[1], 0)),
    longTasks: tasks.length,
    longestFrameGapMs: Math.round(max(gaps.map((g) => g[1]))),
    clicks,
    longestClickToPaintMs: Math.round(max(clickEvents.map((e) => e[1]))),
    slowClicks: clickEvents.filter((e) => e[1] > 200).length,
  };
}
