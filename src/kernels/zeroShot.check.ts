import type { KernelCheck } from '../gpu/kernelCheck';
import type { GpuContext } from '../gpu/context';
import type { Rng } from '../util/random';
import { validate, type ValidateResult } from '../util/validate';
import {
  crossEntropyRef, encodeCrossEntropy, zeroShotLoss, zeroShotLossRef, type CrossEntropyShape, type ZeroShotShape,
} from './zeroShot';

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function randomLabels(rng: Rng, batch: number, classes: number): Uint32Array {
  return Uint32Array.from({ length: batch }, () => rng.int(0, classes));
}

/**
 * The GPU's argmax is only defined up to its logit rounding: where it differs from the reference, accept it if its
 * class is within `slack` of the reference maximum (then the reference's prediction and correct flag are replaced).
 */
function predictionChecks(
  name: string, gotPredicted: Uint32Array, gotCorrect: Uint32Array, gotAccuracy: number,
  refLogits: ArrayLike<number>, labels: Uint32Array, refPredicted: Uint32Array, classes: number, slack: number,
): ValidateResult[] {
  const wantPredicted = Uint32Array.from(refPredicted);
  for (let b = 0; b < wantPredicted.length; b++) {
    const g = gotPredicted[b];
    if (g !== wantPredicted[b] && g < classes && refLogits[b * classes + g] >= refLogits[b * classes + wantPredicted[b]] - slack) {
      wantPredicted[b] = g;
    }
  }
  const wantCorrect = wantPredicted.map((p, b) => (p === labels[b] ? 1 : 0));
  const wantAccuracy = wantCorrect.reduce((a, c) => a + c, 0) / wantCorrect.length;
  return [
    validate(gotPredicted, wantPredicted, 0, 0, `${name} predicted`),
    validate(gotCorrect, wantCorrect, 0, 0, `${name} correct`),
    validate([gotAccuracy], [wantAccuracy], 1e-6, 0, `${name} accuracy`),
  ];
}

async function runCrossEntropy(
  ctx: GpuContext, logits: Float32Array, labels: Uint32Array, shape: CrossEntropyShape, weights?: Float32Array,
) {
  const { batch: B, classes: C } = shape;
  const gLogits = ctx.upload('ce.logits', logits);
  const gLabels = ctx.upload('ce.labels', labels);
  const gWeights = weights ? ctx.upload('ce.weights', weights) : undefined;
  const out = {
    sampleLoss: ctx.buffer('ce.sampleLoss', B * 4),
    predicted: ctx.buffer('ce.predicted', B * 4),
    correct: ctx.buffer('ce.correct', B * 4),
    dLogits: ctx.buffer('ce.dLogits', B * C * 4),
    summary: ctx.buffer('ce.summary', 8),
  };
  await ctx.run('crossentropy', (rec) => encodeCrossEntropy(rec, gLogits, gLabels, gWeights, out, shape));
  return {
    sampleLoss: await ctx.readF32(out.sampleLoss, B),
    predicted: await ctx.readU32(out.predicted, B),
    correct: await ctx.readU32(out.correct, B),
    dLogits: await ctx.readF32(out.dLogits, B * C),
    summary: await ctx.readF32(out.summary, 2),
  };
}

// Cross-entropy on given logits. Logits are fp32 inputs, so the argmax is exact; the loss rounds at the scale of
// the largest logit (atol 1e-6·max|l|, rtol 1e-5). A softmax term is exp of a difference that is exact or rounded
// at its own scale, so dLogits get a few ulp of a probability ≤ 1 times w/batch (atol 1e-6·max w/batch, rtol 1e-5).
function crossEntropyCase(name: string, shape: CrossEntropyShape, logitRange: number, weighted: boolean, integerLogits = false): KernelCheck {
  return {
    name: `crossentropy/${name}`,
    async run(ctx, rng) {
      const { batch: B, classes: C } = shape;
      // Integer logits from a small range make many exact ties (the argmax must pick the lowest index).
      const logits = integerLogits
        ? Float32Array.from({ length: B * C }, () => rng.int(0, logitRange))
        : rng.uniform(B * C, -logitRange, logitRange);
      const labels = randomLabels(rng, B, C);
      const weights = weighted ? rng.uniform(B, 0, 2) : undefined;
      const got = await runCrossEntropy(ctx, logits, labels, shape, weights);
      const ref = crossEntropyRef(logits, labels, shape, weights);
      const lossAtol = 1e-6 * Math.max(1, maxAbs(logits));
      const maxWeight = weights ? maxAbs(weights) : 1;
      return [
        validate(got.sampleLoss, ref.sampleLoss, lossAtol, 1e-5, `crossentropy ${name} loss`),
        validate(got.dLogits, ref.dLogits, (1e-6 * maxWeight) / B, 1e-5, `crossentropy ${name} dLogits`),
        validate(got.predicted, ref.predicted, 0, 0, `crossentropy ${name} predicted`),
        validate(got.correct, ref.correct, 0, 0, `crossentropy ${name} correct`),
        validate(got.summary, [ref.meanLoss, ref.accuracy], lossAtol * maxWeight, 1e-5, `crossentropy ${name} summary`),
      ];
    },
  };
}

/** Raw embeddings: normal entries with row norms spread over two decades; `tinyImages` image rows shrunk below eps. */
function embeddings(rng: Rng, rows: number, dim: number, tinyRows: number, eps: number): Float32Array {
  const x = rng.normal(rows * dim);
  for (let r = 0; r < rows; r++) {
    const gain = r < tinyRows ? (0.1 * eps) / Math.sqrt(dim) : 10 ** (2 * rng.next() - 1);
    for (let k = 0; k < dim; k++) x[r * dim + k] *= gain;
  }
  return x;
}

// Composed zero-shot loss. A cosine of two fp32-normalised vectors rounds like a length-D dot product of unit
// vectors (≲ sqrt(D)·2⁻²⁴), so the logits get atol 1e-7·s·sqrt(D), rtol 1e-5; the per-sample and mean loss twice
// that (times max w). The gradients' rounding follows their largest entry through two matmuls and a normalisation
// backward: atol 4e-6·max|ref|, rtol 1e-5 (seen: ≤ 5e-7·max|ref|).
function zeroShotCase(name: string, shape: ZeroShotShape, weighted: boolean, tinyImages = 0): KernelCheck {
  return {
    name: `zeroShot/${name}`,
    async run(ctx, rng) {
      const { batch: B, classes: C, dim: D, logitScale: s } = shape;
      const eps = shape.eps ?? 1e-12;
      const images = embeddings(rng, B, D, tinyImages, eps);
      const texts = embeddings(rng, C, D, 0, eps);
      const labels = randomLabels(rng, B, C);
      const weights = weighted ? rng.uniform(B, 0, 2) : undefined;
      const got = await zeroShotLoss(ctx, images, texts, labels, shape, weights);
      const ref = zeroShotLossRef(images, texts, labels, shape, weights);
      const logitAtol = 1e-7 * Math.abs(s) * Math.sqrt(D);
      const maxWeight = weights ? maxAbs(weights) : 1;
      return [
        validate(got.logits, ref.logits, logitAtol, 1e-5, `zeroShot ${name} logits`),
        validate(got.sampleLoss, ref.sampleLoss, 2 * logitAtol, 1e-5, `zeroShot ${name} loss`),
        validate([got.meanLoss], [ref.meanLoss], 2 * logitAtol * maxWeight, 1e-5, `zeroShot ${name} mean loss`),
        ...predictionChecks(`zeroShot ${name}`, got.predicted, got.correct, got.accuracy, ref.logits, labels, ref.predicted, C, 2 * logitAtol),
        validate(got.gradImages, ref.gradImages, 4e-6 * maxAbs(ref.gradImages), 1e-5, `zeroShot ${name} gradImages`),
        validate(got.gradTexts, ref.gradTexts, 4e-6 * maxAbs(ref.gradTexts), 1e-5, `zeroShot ${name} gradTexts`),
      ];
    },
  };
}

/**
 * Trusts the reference itself: its analytic gradients against central differences of its own float64 mean loss
 * (step h = 1e-6 relative to each entry's row scale: truncation O(h²), rounding O(2⁻⁵²/h) ≈ 1e-10 relative).
 */
function referenceGradientCase(name: string, shape: ZeroShotShape, weighted: boolean, tinyImages = 0): KernelCheck {
  return {
    name: `zeroShot/${name}`,
    async run(_ctx, rng) {
      const { batch: B, classes: C, dim: D } = shape;
      const eps = shape.eps ?? 1e-12;
      const images = Float64Array.from(embeddings(rng, B, D, tinyImages, eps));
      const texts = Float64Array.from(embeddings(rng, C, D, 0, eps));
      const labels = randomLabels(rng, B, C);
      const weights = weighted ? Float64Array.from(rng.uniform(B, 0, 2)) : undefined;
      const ref = zeroShotLossRef(images, texts, labels, shape, weights);
      const lossAt = () => zeroShotLossRef(images, texts, labels, shape, weights).meanLoss;
      const centralDifferences = (x: Float64Array, rows: number) => {
        const fd = new Float64Array(x.length);
        for (let r = 0; r < rows; r++) {
          let norm = 0;
          for (let k = 0; k < D; k++) norm += x[r * D + k] ** 2;
          const h = 1e-6 * Math.sqrt(norm);
          for (let k = 0; k < D; k++) {
            const i = r * D + k, x0 = x[i];
            x[i] = x0 + h;
            const up = lossAt();
            x[i] = x0 - h;
            const down = lossAt();
            x[i] = x0;
            fd[i] = (up - down) / (2 * h);
          }
        }
        return fd;
      };
      const fdImages = centralDifferences(images, B);
      const fdTexts = centralDifferences(texts, C);
      return [
        validate(ref.gradImages, fdImages, 1e-7 * maxAbs(fdImages), 1e-5, `zeroShot ${name} gradImages vs central differences`),
        validate(ref.gradTexts, fdTexts, 1e-7 * maxAbs(fdTexts), 1e-5, `zeroShot ${name} gradTexts vs central differences`),
      ];
    },
  };
}

export const zeroShotChecks: KernelCheck[] = [
  crossEntropyCase('b37-c130-large-logits-weighted', { batch: 37, classes: 130 }, 300, true),
  crossEntropyCase('b20-c10', { batch: 20, classes: 10 }, 5, false),
  crossEntropyCase('b16-c70-ties', { batch: 16, classes: 70 }, 3, false, true),
  zeroShotCase('b8-c10-d64', { batch: 8, classes: 10, dim: 64, logitScale: 100 }, false),
  zeroShotCase('b33-c100-d96-weighted', { batch: 33, classes: 100, dim: 96, logitScale: 50 }, true),
  zeroShotCase('b5-c7-d1030-clamped', { batch: 5, classes: 7, dim: 1030, logitScale: 100, eps: 1e-2 }, false, 2),
  zeroShotCase('b6-c12-d40-image-grad-only', { batch: 6, classes: 12, dim: 40, logitScale: 30, textGrad: false }, false),
  referenceGradientCase('reference-vs-finite-differences', { batch: 3, classes: 4, dim: 5, logitScale: 10 }, true),
  referenceGradientCase('reference-vs-finite-differences-clamped', { batch: 3, classes: 4, dim: 5, logitScale: 10, eps: 1e-2 }, false, 1),
];
