/**
 * Attacks end to end on a tiny random-init CLIP vision tower (tinyClipConfig, 28×28×1, built here), whose class
 * "prompts" are the normalised class means of the clean image embeddings (clean accuracy ~100%): the attacks lower
 * accuracy, robust accuracy falls monotonically to ~0 with ε, the worst-case bookkeeping holds, ε = 0 changes
 * nothing, gradients through the whole chain match finite differences, APGD is at least as strong as PGD, random
 * search is never much stronger than PGD, snapping keeps the budget and its verification, targets are reached,
 * progress/abort work and gradient masking is reported. Fresh seed per run (printed; AOS_SEED replays).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateZeroShot, runAttack, type AttackConfig, type AttackInputs, type AttackResult } from '../../src/attacks/attack';
import { marginObjectiveRef } from '../../src/attacks/kernels';
import { gradientMaskingReport } from '../../src/attacks/masking';
import { objectiveAndGradient } from '../../src/attacks/objective';
import type { GpuContext } from '../../src/gpu/context';
import { crossEntropyRef } from '../../src/kernels/zeroShot';
import { Rng, freshSeed } from '../../src/util/random';
import { testContext, tinyTask, type TinyTask } from './setup';

const seed = freshSeed();
const BATCH = 20, CLASSES = 5;

describe(`attacks on a tiny CLIP (AOS_SEED=${seed})`, () => {
  let ctx: GpuContext;
  let task: TinyTask;
  let inputs: AttackInputs;

  beforeAll(async () => {
    ctx = await testContext();
    task = await tinyTask(ctx, seed, BATCH, CLASSES);
    inputs = { pixels: task.pixelsBuf, labels: task.labels, texts: task.texts, classes: task.classes, logitScale: task.logitScale };
  });
  afterAll(async () => {
    await task?.model.release();
    ctx?.disposeBuffers();
  });

  async function attack(config: AttackConfig, keep = false): Promise<AttackResult & { x: Float32Array }> {
    const r = await runAttack(ctx, task.model, inputs, config);
    const x = keep ? await ctx.readF32(r.adversarial, BATCH * task.model.n) : new Float32Array(0);
    ctx.release(r.adversarial);
    return { ...r, x };
  }

  /** Largest budget excess (L∞ per element or L2 per sample) and values outside [0, 1]. */
  function feasibility(x: Float32Array, eps: number, norm: 'linf' | 'l2'): { excess: number; outside: number } {
    const n = task.model.n;
    let excess = 0, outside = 0;
    for (let b = 0; b < BATCH; b++) {
      let dd = 0;
      for (let j = b * n; j < (b + 1) * n; j++) {
        const d = x[j] - task.pixels[j];
        if (norm === 'linf') excess = Math.max(excess, Math.abs(d) - eps);
        dd += d * d;
        if (!(x[j] >= 0 && x[j] <= 1)) outside++;
      }
      if (norm === 'l2') excess = Math.max(excess, Math.sqrt(dd) - eps);
    }
    return { excess, outside };
  }

  const lessOrEqual = (a: Uint32Array, b: Uint32Array) => a.every((v, i) => v <= b[i]);

  it('clean images are classified correctly (class-mean prompts)', async () => {
    const ev = await evaluateZeroShot(ctx, task.model, { ...inputs, labels: task.labels });
    expect(ev.accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it('ε = 0 changes nothing (PGD and APGD, L∞ and L2)', async () => {
    for (const [method, norm] of [['pgd', 'linf'], ['apgd', 'l2']] as const) {
      const r = await attack({ method, norm, eps: 0, steps: 3, seed }, true);
      expect(Array.from(r.x)).toEqual(Array.from(task.pixels));
      expect(r.robustCorrect).toEqual(r.cleanCorrect);
      expect(r.robustAccuracy).toBe(r.cleanAccuracy);
      expect(r.successRate).toBeCloseTo(1 - r.cleanAccuracy, 12);
      expect(r.warnings).toEqual([]);
    }
  });

  it('gradients w.r.t. pixels match central differences (CE, margin, DLR, targeted CE)', async () => {
    const rng = new Rng(seed ^ 0x5bd1e995);
    const n = task.model.n;
    const dir = Float32Array.from({ length: BATCH * n }, () => (rng.next() < 0.5 ? -1 : 1));
    const h = 2e-3;
    const shifted = (s: number) => ctx.upload('fd.x', task.pixels.map((v, i) => v + s * h * dir[i]));
    const targets = task.labels.map((y) => (y + 1) % CLASSES);
    const cases = [
      { loss: 'ce' as const }, { loss: 'margin' as const }, { loss: 'dlr' as const }, { loss: 'ce' as const, targets },
    ];
    for (const c of cases) {
      const spec = { texts: task.texts, classes: CLASSES, logitScale: task.logitScale, loss: c.loss, labels: task.labels, targets: c.targets };
      const at = await objectiveAndGradient(ctx, task.model, task.pixelsBuf, spec);
      // The objective from logits on the CPU (float64), so the finite differences test the whole chain.
      const objectiveOf = async (s: number) => {
        const buf = shifted(s);
        const ev = await evaluateZeroShot(ctx, task.model, { ...inputs, labels: task.labels, pixels: buf });
        ctx.release(buf);
        if (c.loss === 'ce') {
          const ce = crossEntropyRef(ev.logits, c.targets ?? task.labels, { batch: BATCH, classes: CLASSES }).sampleLoss;
          return { logits: ev.logits, objective: ce.map((v) => (c.targets ? -v : v)) };
        }
        const objective = marginObjectiveRef(ev.logits, task.labels, c.targets, { batch: BATCH, classes: CLASSES, loss: c.loss, targeted: !!c.targets }).objective;
        return { logits: ev.logits, objective };
      };
      const up = await objectiveOf(1), down = await objectiveOf(-1);
      // Margin and DLR have kinks where the order of the logits changes: skip samples whose order differs at ±h.
      const order = (z: Float32Array, b: number) => Array.from({ length: CLASSES }, (_, k) => k).sort((i, j) => z[b * CLASSES + j] - z[b * CLASSES + i]).join();
      let compared = 0;
      const an: number[] = [];
      for (let b = 0; b < BATCH; b++) {
        let dot = 0;
        for (let j = b * n; j < (b + 1) * n; j++) dot += at.grad[j] * dir[j];
        an.push(dot);
      }
      const scale = Math.max(...an.map(Math.abs));
      for (let b = 0; b < BATCH; b++) {
        if (c.loss !== 'ce' && order(up.logits, b) !== order(down.logits, b)) continue;
        compared++;
        const fd = (up.objective[b] - down.objective[b]) / (2 * h);
        expect(Math.abs(fd - an[b]), `${c.loss}${c.targets ? ' targeted' : ''} sample ${b}: fd ${fd} vs analytic ${an[b]}`)
          .toBeLessThanOrEqual(0.02 * scale + 0.02 * Math.abs(an[b]));
      }
      expect(compared).toBeGreaterThanOrEqual(BATCH / 2);
    }
  });

  it('ε-sweep: robust accuracy falls monotonically to ~0, never above clean', async () => {
    const sweeps = [
      { method: 'pgd' as const, norm: 'linf' as const, eps: [0, 1, 2, 4, 8, 32].map((k) => k / 255) },
      { method: 'apgd' as const, norm: 'l2' as const, eps: [0, 0.1, 0.3, 1, 3] },
    ];
    for (const s of sweeps) {
      const acc: number[] = [];
      for (const eps of s.eps) {
        const r = await attack({ method: s.method, norm: s.norm, eps, steps: 10, seed }, true);
        expect(r.robustAccuracy).toBeLessThanOrEqual(r.cleanAccuracy);
        expect(lessOrEqual(r.robustCorrect, r.cleanCorrect)).toBe(true);
        const f = feasibility(r.x, eps, s.norm);
        expect(f.outside).toBe(0);
        expect(f.excess).toBeLessThanOrEqual(s.norm === 'linf' ? 1e-6 : 1e-5 * (1 + eps));
        acc.push(r.robustAccuracy);
      }
      console.log(`${s.method} ${s.norm} sweep ε=[${s.eps.map((e) => e.toFixed(4))}] robust=[${acc}]`);
      for (let i = 1; i < acc.length; i++) expect(acc[i], `robust accuracy rose at ε=${s.eps[i]}: [${acc}]`).toBeLessThanOrEqual(acc[i - 1]);
      expect(acc[acc.length - 1]).toBeLessThanOrEqual(0.05);
      expect(acc[0]).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('worst-case bookkeeping: more steps or restarts never help the model; kept examples really fool it', async () => {
    const eps = 2 / 255, alpha = 0.5 / 255;
    for (const method of ['pgd', 'apgd'] as const) {
      const short = await attack({ method, eps, alpha, steps: 4, seed, loss: 'ce' });
      const long = method === 'pgd'
        ? await attack({ method, eps, alpha, steps: 10, seed, loss: 'ce' }, true) // same first 4 iterates
        : await attack({ method, eps, steps: 4, restarts: 3, seed, loss: 'ce' }, true); // same first restart
      expect(lessOrEqual(long.robustCorrect, short.robustCorrect), `${method}: ${long.robustCorrect} vs ${short.robustCorrect}`).toBe(true);
      expect(long.robustAccuracy).toBeLessThanOrEqual(short.robustAccuracy);
      // the trace never rises and starts at the clean accuracy
      const trace = long.trace.map((p) => p.robustAccuracy);
      expect(trace[0]).toBe(long.cleanAccuracy);
      for (let i = 1; i < trace.length; i++) expect(trace[i]).toBeLessThanOrEqual(trace[i - 1]);
      expect(trace[trace.length - 1]).toBe(long.robustAccuracy);
      // re-evaluating the kept examples: the fooled ones are misclassified
      const buf = ctx.upload('kept', long.x);
      const ev = await evaluateZeroShot(ctx, task.model, { ...inputs, labels: task.labels, pixels: buf });
      ctx.release(buf);
      for (let b = 0; b < BATCH; b++) if (long.success[b]) expect(ev.predicted[b], `sample ${b}`).not.toBe(task.labels[b]);
      expect(long.robustAccuracy).toBeLessThan(long.cleanAccuracy); // the attack does lower accuracy
    }
  });

  it('APGD is at least as strong as PGD at equal steps (on average over budgets); margin/DLR about as strong as CE', async () => {
    // Small budgets and few steps, where the attacks have not all converged to the same corner of the box.
    const budgets = [0.5, 1, 1.5].map((k) => k / 255);
    const rows: Record<string, number[]> = { 'pgd-ce': [], 'apgd-ce': [], 'apgd-dlr': [], 'pgd-margin': [] };
    for (const eps of budgets) {
      rows['pgd-ce'].push((await attack({ method: 'pgd', eps, steps: 5, seed, loss: 'ce' })).robustAccuracy);
      rows['apgd-ce'].push((await attack({ method: 'apgd', eps, steps: 5, seed, loss: 'ce' })).robustAccuracy);
      rows['apgd-dlr'].push((await attack({ method: 'apgd', eps, steps: 5, seed, loss: 'dlr' })).robustAccuracy);
      rows['pgd-margin'].push((await attack({ method: 'pgd', eps, steps: 5, seed, loss: 'margin' })).robustAccuracy);
    }
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    console.log(`robust accuracy at ε = 0.5, 1, 1.5 /255 (5 steps): ${Object.entries(rows).map(([k, v]) => `${k} [${v}]`).join(', ')}`);
    expect(mean(rows['apgd-ce'])).toBeLessThanOrEqual(mean(rows['pgd-ce']) + 1 / BATCH);
    // margin and DLR (scale-free) are about as strong as CE here (they win on saturated or masked models)
    for (const k of ['apgd-dlr', 'pgd-margin']) expect(mean(rows[k]), k).toBeLessThanOrEqual(mean(rows['pgd-ce']) + 0.1);
  });

  it('random search (Square-style) is never much stronger than PGD', async () => {
    for (const eps of [2 / 255, 8 / 255, 32 / 255]) {
      const pgd = await attack({ method: 'pgd', eps, steps: 10, seed });
      const square = await attack({ method: 'square', eps, steps: 60, seed }, true);
      console.log(`ε = ${(eps * 255).toFixed(0)}/255: PGD ${pgd.robustAccuracy}, Square (60 queries) ${square.robustAccuracy}`);
      expect(square.robustAccuracy).toBeGreaterThanOrEqual(pgd.robustAccuracy - 0.1);
      expect(square.evaluations).toBe(61);
      const f = feasibility(square.x, eps, 'linf');
      expect(f.excess).toBeLessThanOrEqual(1e-6);
      expect(f.outside).toBe(0);
    }
  });

  it('8-bit snapping keeps the budget, lies on the grid and is verified', async () => {
    for (const [method, norm, eps] of [['pgd', 'linf', 3 / 255], ['apgd', 'l2', 0.4]] as const) {
      const r = await attack({ method, norm, eps, steps: 8, seed, snap8bit: true }, true);
      const s = r.snapped!;
      expect(s.offGrid).toBe(0);
      expect(s.maxViolation).toBeLessThanOrEqual(1e-6);
      for (const v of r.x) expect(Math.abs(v * 255 - Math.round(v * 255))).toBeLessThan(1e-4);
      expect(feasibility(r.x, eps, norm).excess).toBeLessThanOrEqual(norm === 'linf' ? 1e-6 : 1e-5);
      // verified: a fresh evaluation of the snapped images gives the reported flags
      const buf = ctx.upload('snapped', r.x);
      const ev = await evaluateZeroShot(ctx, task.model, { ...inputs, labels: task.labels, pixels: buf });
      ctx.release(buf);
      expect(Array.from(s.success)).toEqual(Array.from(ev.predicted, (p, b) => (p !== task.labels[b] ? 1 : 0)));
      expect(s.robustAccuracy).toBeLessThanOrEqual(r.cleanAccuracy);
      console.log(`${method} ${norm} ε=${eps.toFixed(4)} snapped: robust ${r.robustAccuracy} → ${s.robustAccuracy}, lost ${s.lost}`);
    }
  });

  // CE and margin reward reaching the target; targeted DLR (APGD-T's loss) only rewards z_t − z_y over a scale set by
  // the other classes, so it is held to what it optimises, with more steps: the target overtakes the true class
  // (another class may stay on top) and most images are fooled. Over 15 draws of this 5-class task at 50 steps the
  // overtaken share was 0.75–1 and robust accuracy 0–0.15 (at 15 steps a draw reached only 0.7 of its targets).
  it('targeted attacks reach their targets (CE, margin); targeted DLR lifts the target over the true class', async () => {
    const targets = task.labels.map((y, b) => (y + 1 + (b % (CLASSES - 1))) % CLASSES);
    for (const [method, loss] of [['pgd', 'ce'], ['apgd', 'margin'], ['apgd', 'dlr']] as const) {
      const r = await attack({ method, loss, eps: 24 / 255, steps: loss === 'dlr' ? 50 : 15, seed, targets }, true);
      const buf = ctx.upload('targeted', r.x);
      const ev = await evaluateZeroShot(ctx, task.model, { ...inputs, labels: task.labels, pixels: buf });
      ctx.release(buf);
      for (let b = 0; b < BATCH; b++) if (r.success[b]) expect(ev.predicted[b]).toBe(targets[b]);
      let overtaken = 0;
      for (let b = 0; b < BATCH; b++) if (ev.logits[b * CLASSES + targets[b]] > ev.logits[b * CLASSES + task.labels[b]]) overtaken++;
      console.log(`targeted ${method}-${loss} at 24/255: success ${r.successRate}, target over true class ${overtaken / BATCH}, robust ${r.robustAccuracy}`);
      expect(r.robustAccuracy).toBeLessThanOrEqual(1 - r.successRate + 1e-9);
      if (loss === 'dlr') {
        expect(overtaken / BATCH).toBeGreaterThanOrEqual(0.6);
        expect(r.robustAccuracy).toBeLessThanOrEqual(0.25);
      } else {
        expect(r.successRate).toBeGreaterThanOrEqual(0.8);
      }
    }
  });

  it('reports progress per step and stops on abort, releasing its buffers', async () => {
    const seen: number[] = [];
    const r = await runAttack(ctx, task.model, inputs, { method: 'apgd', eps: 2 / 255, steps: 5, restarts: 2, seed }, {
      onProgress: (p) => {
        seen.push(p.step);
        expect(p.robustAccuracy).toBeLessThanOrEqual(p.accuracy);
        expect(Number.isFinite(p.meanLoss)).toBe(true);
      },
    });
    ctx.release(r.adversarial);
    expect(seen).toEqual([-1, 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]);
    expect(r.trace.length).toBe(seen.length);
    expect(r.evaluations).toBe(13);

    const owned = () => (Reflect.get(ctx, 'owned') as Set<GPUBuffer>).size;
    const before = owned();
    const controller = new AbortController();
    let calls = 0;
    await expect(runAttack(ctx, task.model, inputs, { method: 'pgd', eps: 2 / 255, steps: 50, seed }, {
      signal: controller.signal,
      onProgress: () => { if (++calls === 3) controller.abort(); },
    })).rejects.toThrow(/abort/i);
    expect(calls).toBe(3);
    expect(owned()).toBe(before);
  });

  it('gradient masking: a saturated softmax is caught (stuck samples, sweep not reaching 0, random search stronger); the plain model passes', async () => {
    const epsList = [1, 4, 16, 64].map((k) => k / 255);
    // The plain model with the margin loss: a CE saturates in fp32 on the few samples a random init is very sure of
    // (p = 1 exactly, zero gradient), which the report rightly flags but which is not what this check is about.
    const plain = await gradientMaskingReport(ctx, task.model, inputs, { epsList, squareQueries: 40, seed, attack: { method: 'pgd', norm: 'linf', steps: 10, loss: 'margin' } });
    console.log('plain model:', JSON.stringify(plain.sweep), plain.warnings.map((w) => w.code));
    expect(plain.warnings.filter((w) => w.code !== 'loss-stalled').map((w) => w.message)).toEqual([]);

    // logit scale 1e5: the softmax saturates, CE and its gradient are exactly 0 for confident samples.
    const masked = await gradientMaskingReport(ctx, task.model, { ...inputs, logitScale: 1e5 }, { epsList, squareQueries: 40, seed });
    const codes = new Set(masked.warnings.map((w) => w.code));
    console.log('masked model:', JSON.stringify(masked.sweep), [...codes]);
    expect(codes.has('samples-stuck')).toBe(true);
    expect(codes.has('sweep-not-zero') || codes.has('random-search-stronger')).toBe(true);
  });

  it('the masking sweep extends past a grid that ends too early, stops once accuracy is 0, and still flags a masked model', async () => {
    const attack = { method: 'pgd', norm: 'linf', steps: 10, loss: 'margin' } as const;
    const short = [1 / 255];
    const plain = await gradientMaskingReport(ctx, task.model, inputs, { epsList: short, squareQueries: 0, seed, attack });
    expect(plain.sweep[0].robustAccuracy).toBeGreaterThan(0.05);
    expect(plain.warnings.map((w) => w.code)).toContain('sweep-not-zero');
    const extendEps = [64, 128, 192].map((k) => k / 255);
    const extended = await gradientMaskingReport(ctx, task.model, inputs, { epsList: short, extendEps, squareQueries: 0, seed, attack });
    console.log('extended sweep:', JSON.stringify(extended.sweep));
    // 64/255 breaks the plain model, so the larger budgets are not run.
    expect(extended.sweep.map((r) => r.eps)).toEqual([1 / 255, 64 / 255]);
    expect(extended.warnings.map((w) => w.code)).not.toContain('sweep-not-zero');
    const masked = await gradientMaskingReport(ctx, task.model, { ...inputs, logitScale: 1e5 }, { epsList: short, extendEps, squareQueries: 0, seed });
    console.log('masked, extended:', JSON.stringify(masked.sweep));
    expect(masked.sweep.map((r) => r.eps)).toEqual([1 / 255, ...extendEps]);
    expect(masked.warnings.map((w) => w.code)).toContain('sweep-not-zero');
  });
});
