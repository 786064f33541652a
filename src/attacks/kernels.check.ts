/**
 * Self-checks of the attack kernels against their CPU references (run in Node by tests/kernels.test.ts and in the
 * browser by the self-test page), plus the references' own gradients against central differences.
 */
import type { KernelCheck } from '../gpu/kernelCheck';
import type { Rng } from '../util/random';
import { validate, type ValidateResult } from '../util/validate';
import {
  APGD_STATE, TRACK_STATS, apgdCheckpointRef, apgdRecordRef, apgdStepRef, encodeApgdCheckpoint, encodeApgdRecord,
  encodeApgdStep, encodeSnap8bit, encodeSquareAccept, encodeSquareInit, encodeSquarePropose, encodeTrackSummary,
  encodeTrackUpdate, marginObjective, marginObjectiveRef, snap8bitRef, squareInitRef, squareProposeRef,
  trackSummaryRef, trackUpdateRef, type ApgdShape, type AttackNorm, type MarginShape, type SquareShape, type TrackShape,
} from './kernels';

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function labelsFor(rng: Rng, batch: number, classes: number, avoid?: Uint32Array): Uint32Array {
  return Uint32Array.from({ length: batch }, (_, b) => {
    let c = rng.int(0, classes);
    if (avoid) while (c === avoid[b]) c = rng.int(0, classes);
    return c;
  });
}

// Logits are multiples of 1/64 in [−20, 20] (or small integers, for many exact ties), so every difference and
// half-sum is exact in f32: margins are exact with ±1 gradients, and DLR only rounds in its divisions (rtol 1e-5).
// (With arbitrary f32 logits a DLR denominator of nearly tied logits cancels catastrophically: then the error is
// ulp(max|z|)/den relative, which says nothing about the kernel.)
function marginCase(name: string, shape: MarginShape, integerLogits = false): KernelCheck {
  return {
    name: `attack/${name}`,
    async run(ctx, rng) {
      const { batch: B, classes: C } = shape;
      const logits = Float32Array.from({ length: B * C }, () => (integerLogits ? rng.int(0, 4) : rng.int(-1280, 1281) / 64));
      const labels = labelsFor(rng, B, C);
      const targets = shape.targeted ? labelsFor(rng, B, C, labels) : undefined;
      const got = await marginObjective(ctx, logits, labels, targets, shape);
      const ref = marginObjectiveRef(logits, labels, targets, shape);
      return [
        validate(got.objective, ref.objective, 1e-6 * Math.max(1, maxAbs(ref.objective)), 1e-5, `${name} objective`),
        validate(got.dLogits, ref.dLogits, 1e-6 * Math.max(1, maxAbs(ref.dLogits)), 1e-5, `${name} dLogits`),
      ];
    },
  };
}

/** The reference gradient against central differences of the reference objective (logits away from ties). */
function marginFiniteDifferenceCase(name: string, shape: MarginShape): KernelCheck {
  return {
    name: `attack/${name}`,
    async run(_ctx, rng) {
      const { batch: B, classes: C } = shape;
      // Distinct logits spaced ≥ 0.5 apart, so a step of 1e-6 never reorders them.
      const logits = new Float64Array(B * C);
      for (let b = 0; b < B; b++) {
        const perm = Array.from({ length: C }, (_, c) => c).sort(() => rng.next() - 0.5);
        perm.forEach((c, k) => (logits[b * C + c] = k * (0.5 + rng.next()) - C / 2));
      }
      const labels = labelsFor(rng, B, C);
      const targets = shape.targeted ? labelsFor(rng, B, C, labels) : undefined;
      const ref = marginObjectiveRef(logits, labels, targets, shape);
      const fd = new Float64Array(B * C);
      const h = 1e-6;
      for (let i = 0; i < B * C; i++) {
        const b = Math.floor(i / C), v = logits[i];
        logits[i] = v + h;
        const up = marginObjectiveRef(logits, labels, targets, shape).objective[b];
        logits[i] = v - h;
        const down = marginObjectiveRef(logits, labels, targets, shape).objective[b];
        logits[i] = v;
        fd[i] = (up - down) / (2 * h);
      }
      return validate(ref.dLogits, fd, 1e-7 * Math.max(1, maxAbs(fd)), 1e-6, `${name} reference dLogits vs central differences`);
    },
  };
}

/** Three bookkeeping updates (init, then two points) and the summary. Everything is data movement: exact. */
function trackCase(name: string, shape: TrackShape): KernelCheck {
  return {
    name: `attack/${name}`,
    async run(ctx, rng) {
      const { batch: B, n } = shape;
      const C = 4;
      const labels = labelsFor(rng, B, C);
      const targets = shape.targeted ? labelsFor(rng, B, C, labels) : undefined;
      const gLabels = ctx.upload('track.labels', labels);
      const gTargets = targets ? ctx.upload('track.targets', targets) : undefined;
      const state = { flags: ctx.buffer('track.flags', B * 4), best: ctx.buffer('track.best', B * 4), xAdv: ctx.buffer('track.xAdv', B * n * 4) };
      const ref = { flags: new Uint32Array(B), best: new Float64Array(B), xAdv: new Float64Array(B * n) };
      const stats = ctx.buffer('track.stats', TRACK_STATS * 4);
      const out: ValidateResult[] = [];
      for (let k = 0; k < 3; k++) {
        const x = rng.uniform(B * n, 0, 1);
        const objective = rng.uniform(B, -3, 3);
        // Mostly correct at first, then more and more mistakes (and target hits).
        const predicted = Uint32Array.from({ length: B }, (_, b) => {
          const r = rng.next();
          if (r < 0.7 - 0.25 * k) return labels[b];
          if (targets && r < 0.85) return targets[b];
          return rng.int(0, C);
        });
        const gx = ctx.upload('track.x', x), go = ctx.upload('track.objective', objective), gp = ctx.upload('track.predicted', predicted);
        await ctx.run('track', (rec) => {
          encodeTrackUpdate(rec, gx, go, gp, gLabels, gTargets, state, shape, k === 0);
          encodeTrackSummary(rec, go, gp, gLabels, state, stats, shape);
        });
        trackUpdateRef(ref, x, objective, predicted, labels, targets, shape, k === 0);
        const sref = trackSummaryRef(objective, predicted, labels, ref, shape);
        out.push(validate(await ctx.readF32(stats, TRACK_STATS), sref, 1e-6 * (1 + maxAbs(sref)), 1e-6, `${name} stats after update ${k}`));
        ctx.release(gx, go, gp);
      }
      out.push(validate(await ctx.readU32(state.flags, B), ref.flags, 0, 0, `${name} flags`));
      out.push(validate(await ctx.readF32(state.best, B), ref.best, 0, 0, `${name} best`));
      out.push(validate(await ctx.readF32(state.xAdv, B * n), ref.xAdv, 0, 0, `${name} xAdv`));
      return out;
    },
  };
}

function pixelBudgets(rng: Rng, B: number, norm: AttackNorm, n: number): Float32Array {
  const scale = norm === 'linf' ? 16 / 255 : 0.05 * Math.sqrt(n);
  return Float32Array.from({ length: B }, (_, b) => (b === 0 ? 0 : scale * (0.2 + 0.8 * rng.next())));
}

function insideBall(rng: Rng, x0: Float32Array, eps: Float32Array, B: number, n: number, norm: AttackNorm): Float32Array {
  const x = new Float32Array(B * n);
  for (let b = 0; b < B; b++) {
    const d = rng.uniform(n, -1, 1);
    const dn = norm === 'linf' ? 1 : Math.sqrt(d.reduce((a, v) => a + v * v, 0));
    for (let j = 0; j < n; j++) x[b * n + j] = Math.min(1, Math.max(0, x0[b * n + j] + (eps[b] * rng.next() * d[j]) / dn));
  }
  return x;
}

/**
 * APGD: a run of records with two checkpoints, then a momentum step, against the references. Objective sequences per
 * sample (b mod 5, plus a random offset) walk every branch: always rising (never halved); rising in the second
 * window but below the best (halved by condition 2); falling (halved by condition 1, twice); falling then rising
 * after a halving (condition 2 must not fire right after a halving); random. The state is exact data movement; the
 * steps are f32 arithmetic (L2: two workgroup reductions): atol 4e-6, rtol 1e-5.
 */
const APGD_SEQUENCES = [
  [0, 1, 2, 3, 4, 5, 6],
  [5, 9, 6, 7, 8, 8.5, 8.7],
  [3, 2, 1, 0, -1, -2, -3],
  [3, 2, 1, 0, 1, 2, 2.5],
];

function apgdCase(name: string, shape: ApgdShape): KernelCheck {
  return {
    name: `attack/${name}`,
    async run(ctx, rng) {
      const { batch: B, n } = shape;
      const x0 = rng.uniform(B * n, 0, 1);
      const eps = pixelBudgets(rng, B, shape.norm, n);
      const ref = {
        x: Float64Array.from(insideBall(rng, x0, eps, B, n, shape.norm)),
        xPrev: Float64Array.from(insideBall(rng, x0, eps, B, n, shape.norm)),
        g: Float64Array.from(rng.normal(B * n)),
        state: new Float64Array(B * APGD_STATE),
        xMax: new Float64Array(B * n),
        gMax: new Float64Array(B * n),
      };
      const f32 = (a: Float64Array) => Float32Array.from(a);
      const bufs = {
        x: ctx.upload('apgd.x', f32(ref.x)), xPrev: ctx.upload('apgd.xPrev', f32(ref.xPrev)), x0: ctx.upload('apgd.x0', x0),
        g: ctx.upload('apgd.g', f32(ref.g)), eps: ctx.upload('apgd.eps', eps), state: ctx.buffer('apgd.state', B * APGD_STATE * 4),
        xMax: ctx.buffer('apgd.xMax', B * n * 4), gMax: ctx.buffer('apgd.gMax', B * n * 4),
      };
      const offsets = Array.from({ length: B }, () => rng.uniform(1, -10, 10)[0]);
      const random = Array.from({ length: B }, () => rng.uniform(7, -3, 3));
      // objSign −1: the buffer holds −f, the kernels maximise f.
      const objectiveAt = (k: number) => Float32Array.from({ length: B }, (_, b) => -(offsets[b] + (b % 5 < 4 ? APGD_SEQUENCES[b % 5][k] : random[b][k])));
      const q = { objSign: -1, window: 3, rho: 0.5, a: 0.75 };
      const out: ValidateResult[] = [];
      for (let k = 0; k < 7; k++) {
        if (k > 0) {
          // move x and g between evaluations so the kept (xMax, gMax) differ from the last ones
          const x = insideBall(rng, x0, eps, B, n, shape.norm), g = rng.normal(B * n);
          g.fill(0, n, Math.min(2 * n, B * n)); // sample 1: zero gradient
          ctx.write(bufs.x, x);
          ctx.write(bufs.g, g);
          ref.x.set(x);
          ref.g.set(g);
        }
        const objective = objectiveAt(k);
        const go = ctx.upload('apgd.objective', objective);
        const qk = { ...q, init: k === 0 };
        await ctx.run('apgd.record', (rec) => {
          encodeApgdRecord(rec, bufs, go, shape, qk);
          if (k === 3 || k === 6) encodeApgdCheckpoint(rec, bufs, shape, qk);
        });
        apgdRecordRef(ref, objective, eps, shape, qk);
        if (k === 3 || k === 6) apgdCheckpointRef(ref, shape, qk);
        ctx.release(go);
      }
      await ctx.run('apgd.step', (rec) => encodeApgdStep(rec, bufs, shape, q));
      apgdStepRef(ref, x0, eps, shape, q);
      out.push(validate(await ctx.readF32(bufs.state, B * APGD_STATE), ref.state, 1e-6, 1e-6, `${name} state`));
      out.push(validate(await ctx.readF32(bufs.xMax, B * n), ref.xMax, 0, 0, `${name} xMax`));
      out.push(validate(await ctx.readF32(bufs.xPrev, B * n), ref.xPrev, 0, 0, `${name} xPrev`));
      out.push(validate(await ctx.readF32(bufs.x, B * n), ref.x, 4e-6, 1e-5, `${name} x`));
      return out;
    },
  };
}

/** Square init, a proposal and an acceptance: data movement and clamps, exact. */
function squareCase(name: string, shape: SquareShape, side: number): KernelCheck {
  return {
    name: `attack/${name}`,
    async run(ctx, rng) {
      const { batch: B, channels: C, height: H, width: W } = shape;
      const n = C * H * W;
      const x0 = rng.uniform(B * n, 0, 1);
      const eps = pixelBudgets(rng, B, 'linf', n);
      const seed = rng.nextU32(), iter = rng.int(1, 500);
      const gx0 = ctx.upload('square.x0', x0), ge = ctx.upload('square.eps', eps);
      const cand = ctx.buffer('square.cand', B * n * 4), cur = ctx.buffer('square.cur', B * n * 4);
      const objCur = ctx.buffer('square.objCur', B * 4);
      const obj0 = rng.uniform(B, -1, 1), obj1 = rng.uniform(B, -1, 1);
      const go0 = ctx.upload('square.obj0', obj0), go1 = ctx.upload('square.obj1', obj1);
      await ctx.run('square.init', (rec) => {
        encodeSquareInit(rec, gx0, ge, cand, shape, { seed });
        encodeSquareAccept(rec, cand, go0, cur, objCur, shape, { seed, force: true });
      });
      const initCand = await ctx.readF32(cand, B * n);
      await ctx.run('square.step', (rec) => {
        encodeSquarePropose(rec, gx0, ge, cur, cand, shape, { seed, iter, side });
        encodeSquareAccept(rec, cand, go1, cur, objCur, shape, { seed, iter, side });
      });
      const refInit = squareInitRef(x0, eps, shape, { seed });
      const refCand = squareProposeRef(x0, eps, refInit, shape, { seed, iter, side });
      const refCur = Float64Array.from(refInit);
      const refObj = Float64Array.from(obj0);
      for (let b = 0; b < B; b++) {
        if (obj1[b] > obj0[b]) {
          refObj[b] = obj1[b];
          refCur.set(refCand.subarray(b * n, (b + 1) * n), b * n);
        }
      }
      return [
        validate(initCand, refInit, 0, 0, `${name} stripes`),
        validate(await ctx.readF32(cand, B * n), refCand, 0, 0, `${name} proposal (iter ${iter}, side ${side})`),
        validate(await ctx.readF32(cur, B * n), refCur, 0, 0, `${name} accepted`),
        validate(await ctx.readF32(objCur, B), refObj, 0, 0, `${name} objective`),
      ];
    },
  };
}

/**
 * Per sample: values off the 8-bit grid or outside [0, 1] (count) and the budget excess (L∞: largest element, L2:
 * the norm), both must be 0 (slack 1e-7 + 1e-5·ε for the float32 rounding of ε and of the norm).
 */
function snapFeasibility(x: Float32Array, x0: ArrayLike<number>, eps: ArrayLike<number>, B: number, n: number, norm: AttackNorm, name: string): ValidateResult[] {
  const offGrid = new Float64Array(B), excess = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let dd = 0, worst = 0;
    for (let j = b * n; j < (b + 1) * n; j++) {
      const g = x[j] * 255;
      if (Math.abs(g - Math.round(g)) > 1e-4 || x[j] < 0 || x[j] > 1) offGrid[b]++;
      const d = x[j] - x0[j];
      worst = Math.max(worst, Math.abs(d));
      dd += d * d;
    }
    const size = norm === 'linf' ? worst : Math.sqrt(dd);
    excess[b] = Math.max(0, size - eps[b] * (1 + 1e-5) - 1e-7);
  }
  return [
    validate(offGrid, new Float64Array(B), 0, 0, `${name}: values off the grid or outside [0, 1], per sample`),
    validate(excess, new Float64Array(B), 0, 0, `${name}: excess over the budget, per sample`),
  ];
}

/**
 * 8-bit snapping of points inside the budget around clean images on the 8-bit grid (as decoded PNGs), with budgets
 * on the grid (k/255) and off it ((k + 0.7)/255: nearest rounding then leaves the budget near its faces and the
 * clamp must act). Values are kept ≥ 0.05 grid units from rounding boundaries, so float32 and float64 round alike:
 * exact comparison.
 */
function snapCase(name: string, B: number, n: number, norm: AttackNorm): KernelCheck {
  return {
    name: `attack/${name}`,
    async run(ctx, rng) {
      const x0 = Float32Array.from({ length: B * n }, () => rng.int(0, 256) / 255);
      const eps = norm === 'linf'
        ? Float32Array.from({ length: B }, (_, b) => (b === 0 ? 0 : (rng.int(1, 16) + (b % 2 ? 0 : 0.7)) / 255))
        : Float32Array.from({ length: B }, (_, b) => (b === 0 ? 0 : 0.05 * Math.sqrt(n) * (0.2 + rng.next())));
      const x = insideBall(rng, x0, eps, B, n, norm);
      // L∞: half the values of the samples with off-grid budgets on the faces of the box x0 ± ε, where PGD iterates
      // sit and where nearest rounding leaves the budget
      if (norm === 'linf') {
        for (let b = 2; b < B; b += 2) for (let j = b * n; j < (b + 1) * n; j += 2) x[j] = Math.min(1, Math.max(0, x0[j] + (rng.next() < 0.5 ? -eps[b] : eps[b])));
      }
      // sample 2: on the sphere (nearest rounding may leave the ball)
      if (norm === 'l2' && B > 2) {
        let dd = 0;
        for (let j = 2 * n; j < 3 * n; j++) dd += (x[j] - x0[j]) ** 2;
        const s = eps[2] / Math.sqrt(dd);
        for (let j = 2 * n; j < 3 * n; j++) x[j] = x0[j] + s * (x[j] - x0[j]);
      }
      // Keep 255·(x − x0) away from halves (round) and from non-zero integers (trunc), shrinking |x − x0| only, so
      // x stays inside the budget and the box.
      for (let i = 0; i < x.length; i++) {
        const d = (x[i] - x0[i]) * 255, a = Math.abs(d), k = Math.floor(a), frac = a - k;
        let a2 = a;
        if (frac < 0.05) a2 = k >= 1 ? k - 0.25 : 0;
        else if (Math.abs(frac - 0.5) < 0.05) a2 = k + 0.25;
        else if (frac > 0.95) a2 = k + 0.75;
        x[i] = x0[i] + (Math.sign(d) * a2) / 255;
      }
      const gx = ctx.upload('snap.x', x), gx0 = ctx.upload('snap.x0', x0), ge = ctx.upload('snap.eps', eps);
      const out = ctx.buffer('snap.out', B * n * 4);
      await ctx.run('snap', (rec) => encodeSnap8bit(rec, gx, gx0, ge, out, { batch: B, n, norm }));
      const got = await ctx.readF32(out, B * n);
      return [
        validate(got, snap8bitRef(x, x0, eps, { batch: B, n, norm }), 0, 0, `${name} snapped`),
        ...snapFeasibility(got, x0, eps, B, n, norm, name),
      ];
    },
  };
}

export const attackChecks: KernelCheck[] = [
  marginCase('margin-untargeted', { batch: 37, classes: 10, loss: 'margin', targeted: false }),
  marginCase('margin-targeted-kappa', { batch: 20, classes: 130, loss: 'margin', targeted: true, kappa: 5 }),
  marginCase('margin-ties', { batch: 24, classes: 6, loss: 'margin', targeted: false }, true),
  marginCase('dlr-untargeted', { batch: 37, classes: 10, loss: 'dlr', targeted: false }),
  marginCase('dlr-targeted', { batch: 20, classes: 130, loss: 'dlr', targeted: true }),
  marginCase('dlr-ties', { batch: 24, classes: 6, loss: 'dlr', targeted: true }, true),
  marginFiniteDifferenceCase('dlr-reference-vs-finite-differences', { batch: 6, classes: 7, loss: 'dlr', targeted: false }),
  marginFiniteDifferenceCase('dlr-targeted-reference-vs-finite-differences', { batch: 6, classes: 7, loss: 'dlr', targeted: true }),
  marginFiniteDifferenceCase('margin-reference-vs-finite-differences', { batch: 6, classes: 7, loss: 'margin', targeted: true }),
  trackCase('track-untargeted', { batch: 19, n: 300, targeted: false, objSign: 1 }),
  trackCase('track-targeted', { batch: 19, n: 300, targeted: true, objSign: -1 }),
  apgdCase('apgd-linf', { batch: 5, n: 784, norm: 'linf' }),
  apgdCase('apgd-l2', { batch: 5, n: 3 * 28 * 28, norm: 'l2' }),
  squareCase('square-linf', { batch: 5, channels: 3, height: 12, width: 10 }, 4),
  snapCase('snap8bit-linf', 6, 3 * 28 * 28, 'linf'),
  snapCase('snap8bit-l2', 6, 3 * 28 * 28, 'l2'),
];
