/**
 * A uPlot chart in React: built once per series layout (labels, colours, axes), updated in place with `setData`
 * when the data change, resized with its container. uPlot draws on a canvas, so thousands of steps stay cheap.
 */
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  color: string;
  /** Dashed line. */
  dash?: boolean;
  /** Points only at the data (sparse series such as validation). */
  points?: boolean;
  /** The right-hand axis (its scale `y2`). */
  right?: boolean;
  /** Value formatting in the legend. */
  fmt?: (v: number) => string;
  width?: number;
}

export interface ChartProps {
  /** x values then one array per series (null = no value at that x). */
  data: Array<Array<number | null>>;
  series: ChartSeries[];
  xLabel: string;
  yLabel: string;
  y2Label?: string;
  /** Tick text of the left axis (default: `tick`). */
  yTick?: (v: number) => string;
  /** Fixed y range (e.g. [0, 1] for accuracies). */
  yRange?: [number, number];
  y2Range?: [number, number];
  /** Log scale on the left axis (values ≤ 0 must be given as null). */
  yLog?: boolean;
  height?: number;
  testId?: string;
  /** Shown over the plot when there are no points. */
  empty?: string;
  /** Extra data attributes on the chart element (tests read counts from them). */
  attrs?: Record<string, string | number>;
}

/** Axis tick text: short, exponent form for very small or large values. */
export function tick(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(3).replace(/\.?0+e/, 'e').replace('e-', 'e−');
  return String(Number(v.toPrecision(4)));
}

function lastValue(a: ArrayLike<number | null> | undefined): number | null {
  if (!a) return null;
  for (let i = a.length - 1; i >= 0; i--) if (a[i] !== null && a[i] !== undefined) return a[i];
  return null;
}

/** How many values of a series are set (null and undefined are gaps). */
export function definedCount(a: ArrayLike<number | null | undefined> | undefined): number {
  let n = 0;
  if (a) for (let i = 0; i < a.length; i++) if (a[i] !== null && a[i] !== undefined) n++;
  return n;
}

const css = (name: string, fallback: string): string => {
  if (typeof document === 'undefined') return fallback;
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
};

export function UPlotChart({ data, series, xLabel, yLabel, y2Label, yTick, yRange, y2Range, yLog, height = 200, testId, empty, attrs }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const layout = useMemo(
    () => JSON.stringify({ s: series.map((s) => [s.label, s.color, s.dash, s.points, s.right]), xLabel, yLabel, y2Label, yRange, y2Range, yLog, height, t: !!yTick }),
    [series, xLabel, yLabel, y2Label, yRange, y2Range, yLog, height, yTick],
  );
  const points = data[0]?.length ?? 0;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ink = css('--muted', '#5b6470'), grid = css('--line', '#dfe3e8');
    const axis = (label: string, o: { side?: number; scale?: string; right?: boolean; fmt?: (v: number) => string; integer?: boolean } = {}): uPlot.Axis => {
      // uPlot merges options over its defaults: a key set to undefined would erase a default, so only set keys.
      const a: uPlot.Axis = {
        label, stroke: ink, labelSize: 18, labelFont: '12px system-ui, sans-serif', font: '11px system-ui, sans-serif',
        grid: { stroke: grid, width: 1, show: !o.right }, ticks: { stroke: grid, width: 1, size: 4 }, size: 54,
        values: (_u, vals) => vals.map((v) => (o.fmt && v !== null ? o.fmt(v) : tick(v))),
      };
      if (o.side !== undefined) a.side = o.side;
      // Steps are whole numbers: tick increments of 1, 2, 5 × 10^k only.
      if (o.integer) a.incrs = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000];
      if (o.scale !== undefined) a.scale = o.scale;
      if (o.right) a.size = 66;
      return a;
    };
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth), height,
      legend: { live: true },
      cursor: { drag: { x: true, y: false }, points: { size: 6 } },
      scales: {
        // One step so far: uPlot would make a zero-width x range; a step either side keeps the point in view.
        x: { time: false, range: (_u, min, max) => (min === max ? [min - 1, max + 1] : [min, max]) },
        y: yLog ? { distr: 3, log: 10 } : yRange ? { range: yRange } : {},
        ...(series.some((s) => s.right) ? { y2: y2Range ? { range: y2Range } : {} } : {}),
      },
      axes: [axis(xLabel, { integer: true }), axis(yLabel, { fmt: yTick }), ...(series.some((s) => s.right) ? [axis(y2Label ?? '', { side: 1, scale: 'y2', right: true })] : [])],
      series: [
        { label: xLabel },
        ...series.map((s): uPlot.Series => {
          const o: uPlot.Series = {
            label: s.label, stroke: s.color, width: s.width ?? 1.6, scale: s.right ? 'y2' : 'y',
            // A line needs two values: a series with only one so far (the first step) is drawn as a point, not an empty box.
            spanGaps: true, points: s.points ? { show: true, size: 6, fill: s.color } : { show: (u, si) => definedCount(u.data[si]) === 1, size: 7, fill: s.color },
            // Under the cursor: that step's value; otherwise the latest value.
            value: (u, v, si, idx) => {
              const x = idx === null ? lastValue(u.data[si] as Array<number | null>) : v;
              return x === null || x === undefined ? '–' : s.fmt ? s.fmt(x) : String(Number(x.toPrecision(4)));
            },
          };
          if (s.dash) o.dash = [5, 4];
          return o;
        }),
      ],
    };
    const u = new uPlot(opts, data as uPlot.AlignedData, el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Rebuilt only when the layout changes; data changes go through setData below.
  }, [layout]);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);

  return (
    <div className="ft-chart" data-testid={testId} data-points={points} data-single={points === 1 ? 'true' : undefined} {...Object.fromEntries(Object.entries(attrs ?? {}).map(([k, v]) => [`data-${k}`, v]))}>
      <div ref={box} />
      {points === 0 && empty && <div className="ft-chart-empty">{empty}</div>}
    </div>
  );
}
