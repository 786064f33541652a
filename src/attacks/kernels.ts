/**
 * Host side of the attack kernels (shaders/attack_*.wgsl): encoders recording into a `Recorder`, and the plain CPU
 * references (float64) the self-checks compare them with.
 *  - margin / DLR objectives on zero-shot logits, with their gradient w.r.t. the logits (attack_margin.wgsl);
 *  - worst-case bookkeeping over the evaluated points (attack_track.wgsl);
 *  - APGD record / checkpoint / momentum step (attack_apgd.wgsl);
 *  - Square-style random search proposals (attack_square.wgsl);
 *  - 8-bit snapping inside the budget (attack_snap.wgsl).
 * Every objective is oriented so that the attack maximises it.
 */
import type { GpuContext, Recorder } from '../gpu/context';
import { UniformWriter } from '../gpu/uniforms';
import { randU32Ref } from '../kernels/random';

// ---------------------------------------------------------------------------------------------------------------
// margin / DLR

export type MarginLoss = 'margin' | 'dlr';

export interface MarginShape {
  batch: number;
  classes: number;
  loss: MarginLoss;
  targeted: boolean;
  /** Cap of the C&W margin (the objective is min(margin, kappa)); default Infinity (no cap). Unused by DLR. */
  kappa?: number;
}

/** Largest finite f32: stands for "no cap" in the uniform. */
const F32_MAX = 3.4028234663852886e38;

export function checkMarginShape(s: MarginShape): void {
  if (!Number.isInteger(s.batch) || s.batch < 1 || !Number.isInteger(s.classes) || s.classes < 2) {
    throw new RangeError(`attack objective: batch ≥ 1 and classes ≥ 2 required, got ${s.batch}, ${s.classes}`);
  }
  if (s.loss === 'dlr' && s.classes < (s.targeted ? 4 : 3)) {
    throw new RangeError(`attack objective: ${s.targeted ? 'targeted ' : ''}DLR needs at least ${s.targeted ? 4 : 3} classes, got ${s.classes}`);
  }
  if (s.loss !== 'margin' && s.loss !== 'dlr') throw new RangeError(`attack objective: unknown loss '${String(s.loss)}'`);
}

/**
 * Per-row objective [batch] and its gradient w.r.t. the logits [batch, classes] (per sample, not averaged).
 * `targets` is read only by targeted objectives (any u32 buffer of `batch` entries otherwise).
 */
export function encodeMarginObjective(
  rec: Recorder, logits: GPUBuffer, labels: GPUBuffer, targets: GPUBuffer | undefined, objective: GPUBuffer, dLogits: GPUBuffer,
  shape: MarginShape, label = `attack.${shape.loss}`,
): void {
  checkMarginShape(shape);
  const kappa = shape.kappa ?? Infinity;
  if (!(kappa > 0 || kappa <= 0)) throw new RangeError('attack objective: kappa must be a number');
  const uniforms = new UniformWriter().u32(shape.batch).u32(shape.classes).u32(shape.targeted ? 1 : 0)
    .f32(Math.min(kappa, F32_MAX)).bytes();
  rec.dispatch({
    shader: 'attack_margin',
    entryPoint: 'rowObjective',
    label,
    constants: { LOSS: shape.loss === 'margin' ? 0 : 1 },
    uniforms,
    buffers: [logits, labels, shape.targeted ? targets ?? labels : labels, objective, dLogits],
    workgroups: [Math.ceil(shape.batch / 64)],
  });
}

/** One-shot: uploads, runs, reads back. */
export async function marginObjective(
  ctx: GpuContext, logits: Float32Array, labels: Uint32Array, targets: Uint32Array | undefined, shape: MarginShape,
): Promise<{ objective: Float32Array; dLogits: Float32Array }> {
  const { batch: B, classes: C } = shape;
  const gl = ctx.upload('margin.logits', logits), gy = ctx.upload('margin.labels', labels);
  const gt = targets ? ctx.upload('margin.targets', targets) : undefined;
  const go = ctx.buffer('margin.objective', B * 4), gd = ctx.buffer('margin.dLogits', B * C * 4);
  try {
    await ctx.run('margin', (rec) => encodeMarginObjective(rec, gl, gy, gt, go, gd, shape));
    return { objective: await ctx.readF32(go, B), dLogits: await ctx.readF32(gd, B * C) };
  } finally {
    ctx.release(gl, gy, gt, go, gd);
  }
}

/** Class order of one row: by value descending, ties to the lower index. */
function sortedClasses(z: ArrayLike<number>, o: number, C: number): number[] {
  return Array.from({ length: C }, (_, c) => c).sort((a, b) => z[o + b] - z[o + a] || a - b);
}

function argmaxExcept(z: ArrayLike<number>, o: number, C: number, skip: number): number {
  let best = -1;
  for (let c = 0; c < C; c++) if (c !== skip && (best < 0 || z[o + c] > z[o + best])) best = c;
  return best;
}

/** CPU reference (float64) of `encodeMarginObjective`. */
export function marginObjectiveRef(
  logits: ArrayLike<number>, labels: ArrayLike<number>, targets: ArrayLike<number> | undefined, shape: MarginShape,
): { objective: Float64Array; dLogits: Float64Array } {
  checkMarginShape(shape);
  const { batch: B, classes: C } = shape;
  const kappa = Math.min(shape.kappa ?? Infinity, F32_MAX);
  const objective = new Float64Array(B), dLogits = new Float64Array(B * C);
  for (let b = 0; b < B; b++) {
    const o = b * C, y = labels[b], t = targets ? targets[b] : y;
    if (shape.loss === 'margin') {
      const [hi, lo] = shape.targeted ? [t, argmaxExcept(logits, o, C, t)] : [argmaxExcept(logits, o, C, y), y];
      const m = logits[o + hi] - logits[o + lo];
      objective[b] = Math.min(m, kappa);
      if (m < kappa) {
        dLogits[o + hi] += 1;
        dLogits[o + lo] -= 1;
      }
      continue;
    }
    const pi = sortedClasses(logits, o, C);
    const other = shape.targeted ? t : argmaxExcept(logits, o, C, y);
    const den = shape.targeted
      ? logits[o + pi[0]] - 0.5 * (logits[o + pi[2]] + logits[o + pi[3]]) + 1e-12
      : logits[o + pi[0]] - logits[o + pi[2]] + 1e-12;
    const num = logits[o + y] - logits[o + other];
    objective[b] = -num / den;
    const a = 1 / den, q = num / (den * den);
    dLogits[o + y] -= a;
    dLogits[o + other] += a;
    dLogits[o + pi[0]] += q;
    if (shape.targeted) {
      dLogits[o + pi[2]] -= 0.5 * q;
      dLogits[o + pi[3]] -= 0.5 * q;
    } else dLogits[o + pi[2]] -= q;
  }
  return { objective, dLogits };
}

// ---------------------------------------------------------------------------------------------------------------
// worst-case bookkeeping

export interface TrackShape {
  batch: number;
  /** Elements per sample. */
  n: number;
  targeted: boolean;
  /** +1, or −1 when the objective buffer holds a loss the attack minimises (targeted CE). */
  objSign: number;
}

export interface TrackBuffers {
  /** u32 [batch]: bit 0 correct at every point so far, bit 1 goal not reached so far. */
  flags: GPUBuffer;
  /** f32 [batch]: objective of the kept point. */
  best: GPUBuffer;
  /** f32 [batch, n]: the kept point. */
  xAdv: GPUBuffer;
}

export const TRACK_STATS = 5;

function trackUniforms(s: TrackShape, init: boolean): Uint8Array<ArrayBuffer> {
  return new UniformWriter().u32(s.n).u32(s.batch).u32(init ? 1 : 0).u32(s.targeted ? 1 : 0).f32(s.objSign).bytes();
}

/** Folds the current point x (with its objective and prediction) into the state; `init` restarts the state at x. */
export function encodeTrackUpdate(
  rec: Recorder, x: GPUBuffer, objective: GPUBuffer, predicted: GPUBuffer, labels: GPUBuffer, targets: GPUBuffer | undefined,
  state: TrackBuffers, shape: TrackShape, init: boolean, label = 'attack.track',
): void {
  rec.dispatch({
    shader: 'attack_track',
    entryPoint: 'update',
    label,
    uniforms: trackUniforms(shape, init),
    buffers: [x, objective, predicted, labels, targets ?? labels, state.flags, state.best, state.xAdv],
    workgroups: [shape.batch],
  });
}

/** stats f32 [5] = mean objective now, robust accuracy, accuracy now, goal-not-reached rate, mean kept objective. */
export function encodeTrackSummary(
  rec: Recorder, objective: GPUBuffer, predicted: GPUBuffer, labels: GPUBuffer, state: TrackBuffers, stats: GPUBuffer,
  shape: TrackShape, label = 'attack.track.summary',
): void {
  rec.dispatch({
    shader: 'attack_track',
    entryPoint: 'summary',
    label,
    uniforms: trackUniforms(shape, false),
    buffers: [objective, predicted, labels, state.flags, state.best, stats],
    workgroups: [1],
  });
}

export interface TrackStateRef {
  flags: Uint32Array;
  best: Float64Array;
  xAdv: Float64Array;
}

/** CPU reference of one `encodeTrackUpdate` (mutates and returns `state`). */
export function trackUpdateRef(
  state: TrackStateRef, x: ArrayLike<number>, objective: ArrayLike<number>, predicted: ArrayLike<number>, labels: ArrayLike<number>,
  targets: ArrayLike<number> | undefined, shape: TrackShape, init: boolean,
): TrackStateRef {
  const { batch: B, n } = shape;
  for (let b = 0; b < B; b++) {
    const correct = predicted[b] === labels[b];
    const goal = shape.targeted ? predicted[b] === (targets ?? labels)[b] : !correct;
    const f = shape.objSign * objective[b];
    let keep = false;
    if (init) {
      state.flags[b] = (correct ? 1 : 0) | (goal ? 0 : 2);
      state.best[b] = f;
      keep = true;
    } else {
      if (!correct) state.flags[b] &= ~1;
      if (state.flags[b] & 2) {
        if (goal) {
          state.flags[b] &= ~2;
          state.best[b] = f;
          keep = true;
        } else if (f > state.best[b]) {
          state.best[b] = f;
          keep = true;
        }
      }
    }
    if (keep) for (let j = 0; j < n; j++) state.xAdv[b * n + j] = x[b * n + j];
  }
  return state;
}

/** CPU reference of `encodeTrackSummary`. */
export function trackSummaryRef(
  objective: ArrayLike<number>, predicted: ArrayLike<number>, labels: ArrayLike<number>, state: TrackStateRef, shape: TrackShape,
): Float64Array {
  const B = shape.batch;
  const s = new Float64Array(TRACK_STATS);
  for (let b = 0; b < B; b++) {
    s[0] += shape.objSign * objective[b];
    s[1] += state.flags[b] & 1;
    s[2] += predicted[b] === labels[b] ? 1 : 0;
    s[3] += (state.flags[b] >> 1) & 1;
    s[4] += state.best[b];
  }
  return s.map((v) => v / B);
}

// ---------------------------------------------------------------------------------------------------------------
// APGD

export type AttackNorm = 'linf' | 'l2';

/** Per-sample APGD state: f32 [batch, APGD_STATE] (see shaders/attack_apgd.wgsl). */
export const APGD_STATE = 8;

export interface ApgdShape {
  batch: number;
  n: number;
  norm: AttackNorm;
}

export interface ApgdParams {
  objSign?: number;
  /** Initial step size as a multiple of ε (Croce & Hein: 2). */
  etaInit?: number;
  /** Condition-1 threshold ρ (0.75). */
  rho?: number;
  /** Momentum weight a of the step (1 − 0.75 of the previous direction: a = 0.75); 1 = no momentum. */
  a?: number;
  /** Checkpoint window length w_j − w_{j−1}. */
  window?: number;
  init?: boolean;
}

function apgdUniforms(s: ApgdShape, q: ApgdParams): Uint8Array<ArrayBuffer> {
  return new UniformWriter().u32(s.n).u32(s.batch).u32(q.init ? 1 : 0).u32(q.window ?? 0)
    .f32(q.objSign ?? 1).f32(q.etaInit ?? 2).f32(q.rho ?? 0.75).f32(q.a ?? 0.75).bytes();
}

export interface ApgdBuffers {
  x: GPUBuffer;
  xPrev: GPUBuffer;
  x0: GPUBuffer;
  g: GPUBuffer;
  eps: GPUBuffer;
  state: GPUBuffer;
  xMax: GPUBuffer;
  gMax: GPUBuffer;
}

export function encodeApgdRecord(rec: Recorder, b: ApgdBuffers, objective: GPUBuffer, shape: ApgdShape, q: ApgdParams, label = 'apgd.record'): void {
  rec.dispatch({
    shader: 'attack_apgd', entryPoint: 'record', label, uniforms: apgdUniforms(shape, q),
    buffers: [b.x, b.g, objective, b.eps, b.state, b.xMax, b.gMax], workgroups: [shape.batch],
  });
}

export function encodeApgdCheckpoint(rec: Recorder, b: ApgdBuffers, shape: ApgdShape, q: ApgdParams, label = 'apgd.checkpoint'): void {
  rec.dispatch({
    shader: 'attack_apgd', entryPoint: 'checkpoint', label, uniforms: apgdUniforms(shape, q),
    buffers: [b.x, b.xPrev, b.g, b.state, b.xMax, b.gMax], workgroups: [shape.batch],
  });
}

export function encodeApgdStep(rec: Recorder, b: ApgdBuffers, shape: ApgdShape, q: ApgdParams, label = `apgd.${shape.norm}Step`): void {
  if (shape.batch * shape.n > 0xffffffff) throw new RangeError('apgd: batch·n exceeds u32 indexing');
  rec.dispatch({
    shader: 'attack_apgd', entryPoint: shape.norm === 'linf' ? 'linfStep' : 'l2Step', label, uniforms: apgdUniforms(shape, q),
    buffers: [b.x, b.xPrev, b.x0, b.g, b.eps, b.state],
    workgroups: shape.norm === 'linf' ? [Math.min(Math.ceil((shape.batch * shape.n) / 256), 65535)] : [shape.batch],
  });
}

/**
 * APGD checkpoints (Croce & Hein 2020): p_0 = 0, p_1 = 0.22, p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06);
 * w_j = ⌈p_j · steps⌉. Returns the w_j with 0 < w_j < steps (distinct, increasing).
 */
export function apgdCheckpoints(steps: number): number[] {
  const out: number[] = [];
  let prev = 0, cur = 0.22;
  while (cur <= 1) {
    const w = Math.ceil(cur * steps);
    if (w > 0 && w < steps && (out.length === 0 || w > out[out.length - 1])) out.push(w);
    const next = cur + Math.max(cur - prev - 0.03, 0.06);
    prev = cur;
    cur = next;
  }
  return out;
}

export interface ApgdStateRef {
  x: Float64Array;
  xPrev: Float64Array;
  g: Float64Array;
  state: Float64Array;
  xMax: Float64Array;
  gMax: Float64Array;
}

export function apgdRecordRef(s: ApgdStateRef, objective: ArrayLike<number>, eps: ArrayLike<number>, shape: ApgdShape, q: ApgdParams): void {
  const { batch: B, n } = shape;
  for (let b = 0; b < B; b++) {
    const o = b * APGD_STATE, f = (q.objSign ?? 1) * objective[b];
    const keep = q.init || f > s.state[o + 1];
    if (q.init) {
      s.state.set([(q.etaInit ?? 2) * eps[b], f, f, 0, f, 0, 0, s.state[o + 7]], o);
    } else {
      s.state[o + 3] += f > s.state[o + 2] ? 1 : 0;
      s.state[o + 2] = f;
      if (keep) s.state[o + 1] = f;
    }
    if (keep) for (let j = b * n; j < (b + 1) * n; j++) { s.xMax[j] = s.x[j]; s.gMax[j] = s.g[j]; }
  }
}

export function apgdCheckpointRef(s: ApgdStateRef, shape: ApgdShape, q: ApgdParams): boolean[] {
  const { batch: B, n } = shape;
  const reduced: boolean[] = [];
  for (let b = 0; b < B; b++) {
    const o = b * APGD_STATE, st = s.state;
    const reduce = st[o + 3] < (q.rho ?? 0.75) * (q.window ?? 0) || (st[o + 5] === 0 && st[o + 4] >= st[o + 1]);
    reduced.push(reduce);
    st[o + 3] = 0;
    st[o + 4] = st[o + 1];
    st[o + 5] = reduce ? 1 : 0;
    if (reduce) {
      st[o] *= 0.5;
      st[o + 2] = st[o + 1];
      st[o + 6] += 1;
      for (let j = b * n; j < (b + 1) * n; j++) { s.x[j] = s.xMax[j]; s.xPrev[j] = s.xMax[j]; s.g[j] = s.gMax[j]; }
    }
  }
  return reduced;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** CPU reference of one APGD step (mutates s.x and s.xPrev). */
export function apgdStepRef(s: ApgdStateRef, x0: ArrayLike<number>, eps: ArrayLike<number>, shape: ApgdShape, q: ApgdParams): void {
  const { batch: B, n } = shape;
  const a = q.a ?? 0.75;
  for (let b = 0; b < B; b++) {
    const o = b * n, e = eps[b], eta = s.state[b * APGD_STATE];
    if (shape.norm === 'linf') {
      for (let j = o; j < o + n; j++) {
        const proj = (v: number) => clamp01(Math.min(x0[j] + e, Math.max(x0[j] - e, v)));
        const xi = s.x[j];
        const z = proj(xi + eta * Math.sign(s.g[j]));
        const u = xi + a * (z - xi) + (1 - a) * (xi - s.xPrev[j]);
        s.xPrev[j] = xi;
        s.x[j] = proj(u);
      }
      continue;
    }
    let gg = 0;
    for (let j = o; j < o + n; j++) gg += s.g[j] ** 2;
    const gNorm = Math.sqrt(gg);
    const stepScale = gNorm > 0 ? eta / gNorm : 0;
    let dd = 0;
    for (let j = o; j < o + n; j++) dd += (s.x[j] + stepScale * s.g[j] - x0[j]) ** 2;
    const n1 = Math.sqrt(dd), s1 = n1 > e ? e / n1 : 1;
    const u = new Float64Array(n);
    let uu = 0;
    for (let j = o; j < o + n; j++) {
      const xi = s.x[j];
      const z = clamp01(x0[j] + s1 * (xi + stepScale * s.g[j] - x0[j]));
      u[j - o] = xi + a * (z - xi) + (1 - a) * (xi - s.xPrev[j]) - x0[j];
      uu += u[j - o] ** 2;
    }
    const n2 = Math.sqrt(uu), s2 = n2 > e ? e / n2 : 1;
    for (let j = o; j < o + n; j++) {
      s.xPrev[j] = s.x[j];
      s.x[j] = clamp01(x0[j] + s2 * u[j - o]);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Square-style random search (L∞)

export interface SquareShape {
  batch: number;
  channels: number;
  height: number;
  width: number;
}

export interface SquareParams {
  seed: number;
  /** Proposal index ≥ 1 (selects the draws). */
  iter?: number;
  /** Side of the square in pixels (1 … min(height, width)). */
  side?: number;
  objSign?: number;
  force?: boolean;
}

function squareUniforms(s: SquareShape, q: SquareParams): Uint8Array<ArrayBuffer> {
  const n = s.channels * s.height * s.width;
  const side = q.side ?? 1;
  if (!(Number.isInteger(side) && side >= 1 && side <= Math.min(s.height, s.width))) throw new RangeError(`square: side ${side} out of range`);
  return new UniformWriter().u32(n).u32(s.batch).u32(s.channels).u32(s.height).u32(s.width).u32(side)
    .u32(q.seed >>> 0).u32((q.iter ?? 0) >>> 0).u32(q.force ? 1 : 0).f32(q.objSign ?? 1).bytes();
}

function elementwiseGrid(count: number): [number] {
  return [Math.min(Math.ceil(count / 256), 65535)];
}

export function encodeSquareInit(rec: Recorder, x0: GPUBuffer, eps: GPUBuffer, cand: GPUBuffer, shape: SquareShape, q: SquareParams, label = 'square.init'): void {
  rec.dispatch({
    shader: 'attack_square', entryPoint: 'init', label, uniforms: squareUniforms(shape, q),
    buffers: [x0, eps, cand], workgroups: elementwiseGrid(shape.batch * shape.channels * shape.height * shape.width),
  });
}

export function encodeSquarePropose(
  rec: Recorder, x0: GPUBuffer, eps: GPUBuffer, cur: GPUBuffer, cand: GPUBuffer, shape: SquareShape, q: SquareParams, label = 'square.propose',
): void {
  rec.dispatch({
    shader: 'attack_square', entryPoint: 'propose', label, uniforms: squareUniforms(shape, q),
    buffers: [x0, eps, cur, cand], workgroups: elementwiseGrid(shape.batch * shape.channels * shape.height * shape.width),
  });
}

export function encodeSquareAccept(
  rec: Recorder, cand: GPUBuffer, objective: GPUBuffer, cur: GPUBuffer, objCur: GPUBuffer, shape: SquareShape, q: SquareParams, label = 'square.accept',
): void {
  rec.dispatch({
    shader: 'attack_square', entryPoint: 'accept', label, uniforms: squareUniforms(shape, q),
    buffers: [cand, objective, cur, objCur], workgroups: [shape.batch],
  });
}

/**
 * Side of the square at proposal `iter` (1-based) of `total`: the fraction p of pixels changed starts at pInit and
 * halves at iterations 10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000 of a 10 000-query budget (rescaled to `total`),
 * side = round(√(p·H·W)) clamped to [1, min(H, W) − 1] (at least 1).
 */
export function squareSide(iter: number, total: number, pInit: number, height: number, width: number): number {
  const i = Math.floor((iter * 10000) / Math.max(total, 1));
  const marks = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000];
  let p = pInit;
  for (const m of marks) if (i > m) p /= 2;
  const side = Math.round(Math.sqrt(p * height * width));
  return Math.max(1, Math.min(side, Math.min(height, width) - 1));
}

/** CPU reference of `encodeSquareInit` (out = the candidate). */
export function squareInitRef(x0: ArrayLike<number>, eps: ArrayLike<number>, shape: SquareShape, q: SquareParams): Float64Array {
  const { batch: B, channels: C, height: H, width: W } = shape;
  const n = C * H * W;
  const out = new Float64Array(B * n);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let r = 0; r < H; r++) for (let col = 0; col < W; col++) {
    const i = b * n + (c * H + r) * W + col;
    const s = randU32Ref(q.seed >>> 0, 0, (b * C + c) * W + col) & 1 ? 1 : -1;
    out[i] = clamp01(Math.fround(x0[i] + eps[b] * s));
  }
  return out;
}

/** CPU reference of `encodeSquarePropose`. */
export function squareProposeRef(x0: ArrayLike<number>, eps: ArrayLike<number>, cur: ArrayLike<number>, shape: SquareShape, q: SquareParams): Float64Array {
  const { batch: B, channels: C, height: H, width: W } = shape;
  const n = C * H * W, side = q.side ?? 1, seed = q.seed >>> 0, it = q.iter ?? 0;
  const out = Float64Array.from(cur);
  for (let b = 0; b < B; b++) {
    const top = randU32Ref(seed, (2 * it) >>> 0, 2 * b) % (H - side + 1);
    const left = randU32Ref(seed, (2 * it) >>> 0, 2 * b + 1) % (W - side + 1);
    for (let c = 0; c < C; c++) {
      const s = randU32Ref(seed, (2 * it + 1) >>> 0, b * C + c) & 1 ? 1 : -1;
      for (let r = top; r < top + side; r++) for (let col = left; col < left + side; col++) {
        const i = b * n + (c * H + r) * W + col;
        out[i] = clamp01(Math.fround(x0[i] + eps[b] * s));
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// 8-bit snapping

/** The float32 values of the 8-bit grid, k/255 correctly rounded (what decoding a PNG gives). */
export const GRID_8BIT: Float32Array = Float32Array.from({ length: 256 }, (_, k) => k / 255);

function snapUniforms(shape: { batch: number; n: number }): Uint8Array<ArrayBuffer> {
  const w = new UniformWriter(4 + 256).u32(shape.n).u32(shape.batch).u32(0).u32(0);
  for (const v of GRID_8BIT) w.f32(v);
  return w.bytes();
}

export function encodeSnap8bit(
  rec: Recorder, x: GPUBuffer, x0: GPUBuffer, eps: GPUBuffer, out: GPUBuffer, shape: { batch: number; n: number; norm: AttackNorm },
  label = 'attack.snap8bit',
): void {
  rec.dispatch({
    shader: 'attack_snap', entryPoint: 'snap', label, constants: { NORM: shape.norm === 'linf' ? 0 : 1 },
    uniforms: snapUniforms(shape),
    buffers: [x, x0, eps, out], workgroups: [shape.batch],
  });
}

/** Round half to even, as WGSL's round(). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const SNAP_TOL = 1e-3;

/** CPU reference of `encodeSnap8bit` (float64: agrees with the GPU away from rounding boundaries). */
export function snap8bitRef(
  x: ArrayLike<number>, x0: ArrayLike<number>, eps: ArrayLike<number>, shape: { batch: number; n: number; norm: AttackNorm },
): Float64Array {
  const { batch: B, n } = shape;
  const out = new Float64Array(B * n);
  for (let b = 0; b < B; b++) {
    const o = b * n, e = eps[b];
    if (shape.norm === 'linf') {
      for (let j = o; j < o + n; j++) {
        const lo = Math.ceil(Math.max(x0[j] - e, 0) * 255 - SNAP_TOL), hi = Math.floor(Math.min(x0[j] + e, 1) * 255 + SNAP_TOL);
        let g = roundHalfEven(x[j] * 255);
        g = lo <= hi ? Math.min(hi, Math.max(lo, g)) : roundHalfEven(x0[j] * 255);
        out[j] = GRID_8BIT[g];
      }
      continue;
    }
    let dd = 0;
    for (let j = o; j < o + n; j++) dd += (Math.min(255, Math.max(0, roundHalfEven(x[j] * 255))) / 255 - x0[j]) ** 2;
    const inside = Math.sqrt(dd) <= e;
    for (let j = o; j < o + n; j++) {
      let g = Math.min(255, Math.max(0, roundHalfEven(x[j] * 255)));
      if (!inside) {
        const k0 = roundHalfEven(x0[j] * 255);
        g = Math.min(255, Math.max(0, k0 + Math.trunc(x[j] * 255 - k0)));
      }
      out[j] = GRID_8BIT[g];
    }
  }
  return out;
}
