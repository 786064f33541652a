/**
 * Gradient checking with onnxruntime-node: the backward graph's ⟨∂s/∂x, v⟩ against central finite differences of
 * the forward graph, s(x) = Σ_outputs ⟨w_o, f_o(x)⟩ with random unit w, along random unit directions v (one wrt
 * tensor at a time).
 *
 * Tolerance policy (|fd − ad| ≤ atol + rtol · max(|fd|, |ad|)):
 * - float64 (wherever onnxruntime's CPU backend implements every op of the forward and backward graphs):
 *   h = 1e-5, rtol = 1e-6, atol = 1e-8 · scale.
 * - float32 (otherwise: Erf, Gelu, Conv/ConvTranspose): h = 1e-2, rtol = 5e-3, atol = 1e-4 · scale,
 *   where scale = max(1, ‖f(x)‖) bounds the rounding noise of the difference quotient (≈ 1e-7 · ‖f‖ / h ≈ 1e-5 ·
 *   ‖f‖); the O(h²) = 1e-4 truncation error sits well inside rtol, while a 3% error in a rule does not.
 */
import type * as ortTypes from 'onnxruntime-node';
import { buildGradientGraphs, type GradientGraphs, type GradientOptions } from '../../src/onnx/autodiff/build';
import { numel, tensorFromNumbers, type DType, type Model, type Tensor } from '../../src/onnx/ir';
import { Rng } from '../../src/util/random';
import { run, session, values } from './ort';

export type FloatType = 'float64' | 'float32';

export const POLICY: Record<FloatType, { h: number; rtol: number; atol: number }> = {
  float64: { h: 1e-5, rtol: 1e-6, atol: 1e-8 },
  float32: { h: 1e-2, rtol: 5e-3, atol: 1e-4 },
};

export interface GradCheckResult {
  ok: boolean;
  dtype: FloatType;
  message: string;
  checks: { wrt: string; fd: number; ad: number; ok: boolean }[];
}

export interface GradCheckSetup {
  /** Builds the model at a float dtype; returns the model and the feeds for its graph inputs. */
  build: (dtype: FloatType, rng: Rng) => { model: Model; feeds: Record<string, Tensor> };
  options: Omit<GradientOptions, 'rules'> & { rules?: GradientOptions['rules'] };
  /** 'auto' (default): float64 when onnxruntime implements it, else float32. */
  dtype?: FloatType | 'auto';
  directions?: number;
}

function unitVector(rng: Rng, n: number): Float64Array {
  const v = Float64Array.from(rng.normal(n));
  const norm = Math.hypot(...v) || 1;
  for (let i = 0; i < n; i++) v[i] /= norm;
  return v;
}

function asDtype(dtype: DType, dims: number[], v: ArrayLike<number>): Tensor {
  return tensorFromNumbers(dtype, v, dims);
}

const missingKernel = (e: unknown) => /Could not find an implementation|NOT_IMPLEMENTED/.test(String(e));

/** Builds gradient graphs and sessions at `dtype`; undefined when onnxruntime lacks a kernel at that dtype. */
async function prepare(setup: GradCheckSetup, dtype: FloatType, seed: number) {
  const { model, feeds } = setup.build(dtype, new Rng(seed));
  const graphs = buildGradientGraphs(model, setup.options as GradientOptions);
  try {
    const [fwd, bwd, orig] = await Promise.all([session(graphs.forward), session(graphs.backward), session(model)]);
    return { model, feeds, graphs, fwd, bwd, orig };
  } catch (e) {
    if (dtype === 'float64' && missingKernel(e)) return undefined;
    throw e;
  }
}

export async function gradCheck(setup: GradCheckSetup, seed: number): Promise<GradCheckResult> {
  const want = setup.dtype ?? 'auto';
  let dtype: FloatType = want === 'float32' ? 'float32' : 'float64';
  let p = await prepare(setup, dtype, seed);
  if (!p) {
    if (want === 'float64') throw new Error('onnxruntime has no float64 kernel for this graph');
    dtype = 'float32';
    p = (await prepare(setup, dtype, seed))!;
  }
  return checkPrepared(p.graphs, p.fwd, p.bwd, p.orig, p.feeds, dtype, new Rng(seed ^ 0x5bd1e995), setup.directions ?? 2);
}

/** The finite-difference comparison on prepared sessions. */
export async function checkPrepared(
  graphs: GradientGraphs, fwd: ortTypes.InferenceSession, bwd: ortTypes.InferenceSession, orig: ortTypes.InferenceSession | undefined,
  feeds: Record<string, Tensor>, dtype: FloatType, rng: Rng, directions: number,
): Promise<GradCheckResult> {
  const pol = POLICY[dtype];
  const allFeeds: Record<string, Tensor> = { ...feeds };
  for (const [k, v] of graphs.initialValues) allFeeds[k] ??= v;
  for (const p of Object.values(graphs.perturbations)) {
    const t = graphs.shapes.get(p)!;
    allFeeds[p] ??= asDtype(t.dtype, t.dims, new Float64Array(numel(t.dims)));
  }
  const base = await run(fwd, allFeeds);
  // The forward graph computes what the original model computes.
  if (orig) {
    const o = await run(orig, allFeeds);
    for (const name of graphs.outputs) {
      if (!o[name]) continue;
      const a = values(base[name]), r = values(o[name]);
      const tol = dtype === 'float64' ? 1e-12 : 1e-5;
      for (let i = 0; i < a.length; i++) {
        if (!(Math.abs(a[i] - r[i]) <= tol * (1 + Math.abs(r[i])))) {
          return { ok: false, dtype, message: `forward output '${name}'[${i}] = ${a[i]} differs from the original model's ${r[i]}`, checks: [] };
        }
      }
    }
  }
  // Upstream gradients: one random unit vector across all outputs.
  const sizes = graphs.outputs.map((o) => numel(graphs.shapes.get(o)!.dims));
  const wAll = unitVector(rng, sizes.reduce((a, b) => a + b, 0));
  const w: Record<string, Float64Array> = {};
  let off = 0;
  graphs.outputs.forEach((o, i) => { w[o] = wAll.subarray(off, off + sizes[i]); off += sizes[i]; });
  const s = (out: Record<string, Tensor>) => graphs.outputs.reduce((acc, o) => {
    const v = values(out[o]);
    let d = 0;
    for (let i = 0; i < v.length; i++) d += w[o][i] * v[i];
    return acc + d;
  }, 0);
  const scale = Math.max(1, Math.sqrt(graphs.outputs.reduce((a, o) => a + values(base[o]).reduce((x, y) => x + y * y, 0), 0)));

  const bFeeds: Record<string, Tensor> = {};
  for (const n of [...graphs.savedNames]) bFeeds[n] = base[n];
  for (const n of graphs.forwardInputsUsed) bFeeds[n] = allFeeds[n];
  for (const o of graphs.outputs) {
    const t = graphs.shapes.get(o)!;
    bFeeds[graphs.gradInputs[o]] = asDtype(t.dtype, t.dims, w[o]);
  }
  const grads = await run(bwd, bFeeds);

  const checks: GradCheckResult['checks'] = [];
  const lines: string[] = [];
  for (const x of graphs.wrt) {
    const t = graphs.shapes.get(x)!;
    const x0 = values(allFeeds[x]);
    const gt = grads[graphs.gradOutputs[x]];
    if (gt.dims.join(',') !== t.dims.join(',')) {
      return { ok: false, dtype, checks, message: `gradient of '${x}' has dims [${gt.dims}], '${x}' has [${t.dims}]` };
    }
    const gx = values(gt);
    for (let k = 0; k < directions; k++) {
      const v = unitVector(rng, x0.length);
      const shifted = async (sign: number) => {
        const xs = x0.map((xi, i) => xi + sign * pol.h * v[i]);
        return s(await run(fwd, { ...allFeeds, [x]: asDtype(t.dtype, t.dims, xs) }));
      };
      const fd = ((await shifted(1)) - (await shifted(-1))) / (2 * pol.h);
      let ad = 0;
      for (let i = 0; i < v.length; i++) ad += gx[i] * v[i];
      const ok = Math.abs(fd - ad) <= pol.atol * scale + pol.rtol * Math.max(Math.abs(fd), Math.abs(ad));
      checks.push({ wrt: x, fd, ad, ok });
      lines.push(`  d/d${x} · v${k}: finite difference ${fd.toExponential(6)}, backward ${ad.toExponential(6)}${ok ? '' : '  <-- MISMATCH'}`);
    }
  }
  const ok = checks.every((c) => c.ok);
  return { ok, dtype, checks, message: `${dtype} (h ${pol.h}, rtol ${pol.rtol}, atol ${pol.atol}·${scale.toFixed(2)}):\n${lines.join('\n')}` };
}
