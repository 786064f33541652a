/**
 * Browser-side entry points for the Playwright suite (e2e/models.spec.ts), imported by the test through the Vite dev
 * server (`import('/src/models/browser-probe.ts')` in the page): load a model folder through the URL path, compute
 * vision-tower input gradients on onnxruntime-web WebGPU on the page's shared device, and observe onnxruntime's
 * node placement (which execution provider runs each node) from its verbose session log.
 */
import type { GpuContext } from '../gpu/context';
import { createWorkbenchGpuContext } from '../kernels/pageContext';
import { GradientGraphCache } from '../onnx/autodiff/cache';
import { towerInputGradient } from './gradient';
import { loadClipModel, type LoadProgress } from './load';

export interface ProbeGradientResult {
  backend: string;
  output: number[];
  grad: number[];
  outputDims: number[];
  inputDims: number[];
  files: { name: string; bytes: number; sha256: string }[];
  progress: LoadProgress[];
  warnings: string[];
  forwardNodes: number;
  backwardNodes: number;
  ms: number;
}

const cache = new GradientGraphCache(4);

// The probe page's one GPU context (this module is that test page's root; a lost device is not recovered here).
let ctxPromise: Promise<GpuContext> | undefined;
const gpuContext = (): Promise<GpuContext> => (ctxPromise ??= createWorkbenchGpuContext());

/** Loads the folder at `base` (a URL) and computes d⟨upstream, image_embeds⟩/d pixel_values on WebGPU. */
export async function visionGradientFromUrl(base: string, batch: number, pixels: number[], upstream: number[]): Promise<ProbeGradientResult> {
  const t0 = performance.now();
  const progress: LoadProgress[] = [];
  const model = await loadClipModel(base, { onProgress: (p) => progress.push(p) });
  const ctx = await gpuContext();
  const r = await towerInputGradient(ctx, model.vision.bytes, {
    batch, data: Float32Array.from(pixels), upstream: Float32Array.from(upstream), cache,
  });
  return {
    backend: 'webgpu', output: Array.from(r.output), grad: Array.from(r.grad), outputDims: r.outputDims, inputDims: r.inputDims,
    files: model.files.map(({ name, bytes, sha256 }) => ({ name, bytes, sha256 })), progress, warnings: model.warnings,
    forwardNodes: r.forwardNodes, backwardNodes: r.backwardNodes, ms: performance.now() - t0,
  };
}

export interface PlacementReport {
  /** Graph label → execution provider → node count, from "Node(s) placed on [EP]. Number of nodes: N". */
  placements: Record<string, Record<string, number>>;
  /** Nodes onnxruntime placed on its CPU provider ("OpType (name)"), per graph. */
  cpuNodes: Record<string, string[]>;
  /** Whether the log said anything about placement at all (false: not observable in this build). */
  observed: boolean;
  /** The placement lines, verbatim (for the report). */
  lines: string[];
}

/**
 * Creates onnxruntime-web WebGPU sessions on the page's device for the forward and backward graphs of the vision
 * tower at `base` with verbose logging (logSeverityLevel 0), capturing the console to read where each node runs.
 */
export async function visionPlacement(base: string, batch: number): Promise<PlacementReport> {
  const model = await loadClipModel(base);
  const pair = cache.get(model.vision.bytes, { wrt: ['pixel_values'], outputs: ['image_embeds'], batch });
  const ctx = await gpuContext();
  const ort = await import('onnxruntime-web/webgpu');
  const captured: string[] = [];
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const saved = methods.map((m) => console[m]);
  const report: PlacementReport = { placements: {}, cpuNodes: {}, observed: false, lines: [] };
  const prevLevel = ort.env.logLevel;
  for (const [label, bytes] of [['forward', pair.forwardBytes()], ['backward', pair.backwardBytes()]] as const) {
    captured.length = 0;
    methods.forEach((m, i) => {
      console[m] = (...args: unknown[]) => {
        captured.push(args.map(String).join(' '));
        saved[i].apply(console, args);
      };
    });
    let session: { release(): Promise<void> } | undefined;
    try {
      ort.env.logLevel = 'verbose';
      session = await ort.InferenceSession.create(bytes, {
        executionProviders: [{ name: 'webgpu', device: ctx.device } as unknown as 'webgpu'],
        logSeverityLevel: 0, logVerbosityLevel: 0, graphOptimizationLevel: 'all',
      });
    } finally {
      methods.forEach((m, i) => { console[m] = saved[i]; });
      ort.env.logLevel = prevLevel;
      await session?.release();
    }
    const counts: Record<string, number> = {};
    const cpu: string[] = [];
    let inCpuList = false;
    for (const line of captured) {
      const all = /All nodes placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(line);
      const some = /Node\(s\) placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(line);
      if (all || some) {
        const [, ep, n] = (all ?? some)!;
        counts[ep] = (counts[ep] ?? 0) + Number(n);
        inCpuList = !!some && /CPU/i.test(ep);
        report.lines.push(line.trim());
        continue;
      }
      if (inCpuList) {
        const node = /^\s*(?:\S+\s+)*?(\w+) \(([^)]*)\)\s*$/.exec(line.replace(/^.*?\]\s*/, ''));
        if (node) cpu.push(`${node[1]} (${node[2]})`);
        else inCpuList = false;
      }
      if (/placed on|Node placements|not assigned to the preferred execution providers/i.test(line)) report.lines.push(line.trim());
    }
    if (Object.keys(counts).length) report.observed = true;
    report.placements[label] = counts;
    report.cpuNodes[label] = cpu;
  }
  return report;
}

