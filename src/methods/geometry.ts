/**
 * The geometry AoS acts on, measured (no React, no training): principal-angle spectra between groups of features and
 * a 2-D picture of the features, for the subspace panels and for `StepMetrics`.
 *
 * Pairs of groups (rows = L2-normalised embeddings), as AoS builds them (src/methods/aos.ts):
 *   advClean   per image: the adversarial group (each view + its PGD perturbation) vs the clean group (the image
 *              and its augmentations) — 1 + m angles;
 *   imageText  per image: the clean group vs its class's text group (templates × synonyms) — min(1 + m, G) angles;
 *   advText    per class: the adversarial text group (prompt attack on the token embeddings) vs the clean text
 *              group — G angles.
 * A spectrum is the principal angles (degrees, ascending, index = angle index) of each pair, computed on the GPU
 * (src/subspace `principalAngles`: CGS2 bases, Jacobi SVD, Knyazev–Argentati sines), averaged over the pairs
 * index by index (finite angles only; indices no pair reaches — rank-deficient groups — are dropped).
 *
 * A geometry probe is a fixed set of inputs (a few images of chosen classes with fixed augmentations, the text
 * groups of every class, the attack settings with a fixed seed): the same probe measured at several training steps
 * shows how the geometry of the same points moves. A snapshot (`GeometrySnapshot`) is plain JSON-serialisable data
 * of a few kB: spectra (mean and per group), zero-shot accuracy on the probe's clean and adversarial views, and a
 * 2-D projection of every feature (clean image, augmented views, adversarial views, text prompts, adversarial
 * prompts).
 *
 * Projection: PCA (top two principal axes) of the clean image features (every view) and the clean text features of
 * the probe, **computed once, at the first snapshot, and then kept fixed** (`ProjectionBasis`, passed back in):
 * with a fixed plane the motion of a point between snapshots is motion of the feature, not of the axes; a PCA
 * recomputed at every step would also turn and flip the plane (sign alignment fixes the flips, not the rotation
 * within the plane, nor the swap of two axes with close variances), so a group could appear to move while it
 * stood still. The price — features that leave the plane shrink towards its centre — is shown: `captured` is the
 * fraction of the current clean image + text variance that the fixed plane holds.
 *
 * CPU reference: `snapshotFromFeaturesRef` (float64 principal angles, same PCA) — the GPU path differs only in the
 * angles.
 */
import type { GpuContext } from '../gpu/context';
import { groupSpectrum, groupSpectrumRef, type GroupShape, type GroupSpectrum } from './spectra';
import type { ImageDataset } from '../data/bundle';
import { applyAugment, defaultAugmentConfig, NO_AUGMENT, sampleAugmentParams, type AugmentConfig } from '../data/augment';
import { mixSeed } from '../train/data';
import { Rng } from '../util/random';
import { pgdImages, pgdPrompts, zeroShotCeObjective, type EmbeddingObjective } from './attack';
import { ensemble, ensembleBackward } from '../kernels/ensemble';
import { normalizeRows, softmaxRows } from './math';
import type { FineTuneModel } from './model';
import type { ClassPrompts } from './text';
import type { GeometryPair, ProbeSettings } from './probeSettings';

export { DEFAULT_PROBE_SETTINGS, GEOMETRY_PAIRS, PAIR_LABELS, type GeometryPair, type ProbeSettings } from './probeSettings';


/** Mean principal-angle spectrum per pair type, degrees, index = angle index (ascending angles). */
export type Spectra = Partial<Record<GeometryPair, number[]>>;


// ---------------------------------------------------------------------------------------------------------------
// Probe

export interface ImageAttackSettings {
  /** L∞ radius on [0, 1] pixels. */
  eps: number;
  alpha: number;
  steps: number;
  /** Seed of the random start (fixed: every snapshot attacks from the same start). */
  seed: number;
}

export interface TextAttackSettings {
  /** L2 radius per prompt relative to the norm of its token embeddings up to EOS (AoS `textEps`). */
  epsRel: number;
  alphaRel: number;
  steps: number;
}

export interface GeometryProbe {
  /** Names of the zero-shot classes (every class; the image attack's CE runs against all of them). */
  classNames: string[];
  /** Text groups of every class: [classes · perClass, T] token ids, class-major (src/methods/text.ts). */
  prompts: ClassPrompts;
  images: number;
  /** Views per image: the image itself and views − 1 augmentations (≤ 32). */
  views: number;
  /** f32 [images · views, C, H, W] in [0, 1], image-major; view 0 = the image. */
  pixels: Float32Array;
  /** Class of each image [images]. */
  labels: Uint32Array;
  /** Dataset indices of the images (display only). */
  indices?: number[];
  attack: ImageAttackSettings;
  /** The prompt attack of the adversarial text groups; null: no adversarial text group (no advText spectrum). */
  textAttack: TextAttackSettings | null;
}

/** The first `perClass` images of each of `classes` in a split, in class order. */
export function pickProbeImages(data: Pick<ImageDataset, 'count' | 'labels'>, classes: readonly number[], perClass = 1): number[] {
  const out: number[] = [];
  for (const c of classes) {
    let got = 0;
    for (let i = 0; i < data.count && got < perClass; i++) if (data.labels[i] === c) { out.push(i); got++; }
    if (got < perClass) throw new RangeError(`pickProbeImages: class ${c} has ${got} images, ${perClass} asked for`);
  }
  return out;
}

export interface ProbeOptions {
  data: ImageDataset;
  /** Dataset indices of the probe images. */
  indices: readonly number[];
  /** Views per image (1 + m). */
  views: number;
  /** Augmentation of views 1…views−1 (view 0 is the image unchanged). */
  augment: AugmentConfig;
  /** Seed of the augmentations (fixed per probe). */
  seed: number;
  prompts: ClassPrompts;
  attack: ImageAttackSettings;
  textAttack: TextAttackSettings | null;
}

/** A probe with its augmented views drawn once (deterministic in the seed). */
export function makeGeometryProbe(o: ProbeOptions): GeometryProbe {
  const { data, views } = o;
  if (!Number.isInteger(views) || views < 1 || views > 32) throw new RangeError(`makeGeometryProbe: views must be in 1…32, got ${views}`);
  if (o.prompts.perClass > 32) throw new RangeError(`makeGeometryProbe: ${o.prompts.perClass} prompts per class, at most 32`);
  if (o.prompts.classes !== data.classes.length) throw new RangeError(`makeGeometryProbe: prompts for ${o.prompts.classes} classes, the data has ${data.classes.length}`);
  const H = data.height, W = data.width, per = data.channels * H * W, B = o.indices.length;
  const pixels = new Float32Array(B * views * per), labels = new Uint32Array(B);
  const rng = new Rng(mixSeed(o.seed, 0x9e0));
  const img = new Float32Array(per);
  o.indices.forEach((idx, b) => {
    if (!(idx >= 0 && idx < data.count)) throw new RangeError(`makeGeometryProbe: index ${idx} outside the split (${data.count})`);
    labels[b] = data.labels[idx];
    for (let i = 0; i < per; i++) img[i] = data.images[idx * per + i] / 255;
    for (let v = 0; v < views; v++) {
      const params = sampleAugmentParams(rng, 1, H, W, v === 0 ? NO_AUGMENT : o.augment);
      const at = (b * views + v) * per;
      applyAugment(params, img, H, W, pixels.subarray(at, at + per));
    }
  });
  return {
    classNames: [...data.classes], prompts: o.prompts, images: B, views, pixels, labels, indices: [...o.indices],
    attack: o.attack, textAttack: o.textAttack,
  };
}

/** The probe of settings on a split (classes missing from the split are left out; at least one must remain). */
export function probeFromSettings(data: ImageDataset, prompts: (sel: { templates?: number; synonyms?: number }) => ClassPrompts, s: ProbeSettings, hflip: boolean): GeometryProbe {
  const classes = [...new Set(s.classes)].filter((c) => Number.isInteger(c) && c >= 0 && c < data.classes.length);
  if (!classes.length) throw new RangeError(`geometry probe: none of the classes ${JSON.stringify(s.classes)} is in ${data.dataset} (${data.classes.length} classes)`);
  const indices = pickProbeImages(data, classes, s.perClass);
  return makeGeometryProbe({
    data, indices, views: s.views, augment: defaultAugmentConfig(hflip), seed: s.seed,
    prompts: prompts({ templates: s.templates, synonyms: s.synonyms }),
    attack: { eps: s.eps, alpha: s.alpha, steps: s.steps, seed: s.seed },
    textAttack: s.textSteps > 0 && s.textEps > 0 ? { epsRel: s.textEps, alphaRel: s.textEps / 2, steps: s.textSteps } : null,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Features

export interface GeometryFeatures {
  images: number;
  views: number;
  dim: number;
  /** Names of the zero-shot classes. */
  classNames: string[];
  /** Zero-shot classes and prompts per class. */
  classes: number;
  perClass: number;
  /** Class of each image. */
  labels: Uint32Array;
  /** Classes whose text groups are measured and drawn (the probe images' classes, ascending). */
  textClasses: number[];
  /** Unit rows [images · views, dim]. */
  clean: Float64Array;
  adv: Float64Array;
  /** Unit rows [textClasses · perClass, dim]. */
  text: Float64Array;
  advText?: Float64Array;
  /** Unit class embeddings (prompt ensembles of the clean text groups) [classes, dim], and exp(logit scale). */
  classEmb: Float64Array;
  scale: number;
}

/** Rows [groups · n, d] of the picked groups → [picked · n, d]. */
function gatherGroups(src: ArrayLike<number>, picks: readonly number[], n: number, d: number): Float64Array {
  const out = new Float64Array(picks.length * n * d);
  picks.forEach((g, i) => {
    for (let j = 0; j < n * d; j++) out[i * n * d + j] = src[g * n * d + j];
  });
  return out;
}

function gatherIds(ids: BigInt64Array, picks: readonly number[], rows: number, T: number): BigInt64Array {
  const out = new BigInt64Array(picks.length * rows * T);
  picks.forEach((g, i) => out.set(ids.subarray(g * rows * T, (g + 1) * rows * T), i * rows * T));
  return out;
}

/**
 * The probe through the model: clean and adversarial image views, clean and adversarial text groups. Passes are not
 * counted (`count: 'none'`): a measurement is not training or evaluation cost.
 */
export async function geometryFeatures(ctx: GpuContext, model: FineTuneModel, probe: GeometryProbe): Promise<GeometryFeatures> {
  const B = probe.images, V = probe.views, N = B * V, D = model.dim, s = model.scale;
  const C = probe.prompts.classes, G = probe.prompts.perClass, T = probe.prompts.contextLength;
  if (probe.pixels.length !== N * model.pixelsPerImage) throw new RangeError(`geometry: probe has ${probe.pixels.length} pixel values, ${N} views of ${model.pixelsPerImage} expected`);
  const viewLabels = new Uint32Array(N);
  for (let i = 0; i < N; i++) viewLabels[i] = probe.labels[Math.floor(i / V)];
  const textClasses = [...new Set(probe.labels)].sort((a, b) => a - b);

  // Clean text groups of every class → class embeddings (zero-shot CE of the image attack).
  const tAll = await model.textForward(probe.prompts.ids, C * G, undefined, { count: 'none' });
  const ens = ensemble(tAll.embeds, C, G, D);
  const classEmb32 = Float32Array.from(ens.classEmb);
  const tUnit = normalizeRows(tAll.embeds, C * G, D).y;

  const clean = normalizeRows((await model.visionForward(probe.pixels, N, { count: 'none' })).embeds, N, D).y;
  const a = probe.attack;
  const xAdv = await pgdImages(ctx, model, probe.pixels, N, zeroShotCeObjective(ctx, model, classEmb32, viewLabels), {
    eps: a.eps, alpha: a.alpha, steps: a.steps, randomStart: true, seed: mixSeed(a.seed, 0x6e0), step: 0, count: 'none',
  });
  const adv = normalizeRows((await model.visionForward(xAdv, N, { count: 'none' })).embeds, N, D).y;

  let advText: Float64Array | undefined;
  const ta = probe.textAttack;
  if (ta && ta.steps > 0 && ta.epsRel > 0) {
    // As AoS's prompt attack: class c's prompts maximise the zero-shot CE of the clean views of class c, with c's
    // class embedding taken from its adversarial group and every other class clean.
    const Ct = textClasses.length;
    const ids = gatherIds(probe.prompts.ids, textClasses, G, T);
    const objective: EmbeddingObjective = async (embeds) => {
      const e = ensemble(embeds, Ct, G, D);
      const gClass = new Float64Array(Ct * D);
      const rows: number[] = [], slot: number[] = [];
      for (let i = 0; i < N; i++) {
        const j = textClasses.indexOf(viewLabels[i]);
        if (j >= 0) { rows.push(i); slot.push(j); }
      }
      const n = rows.length, z = new Float64Array(n * C);
      rows.forEach((i, r) => {
        const c = viewLabels[i];
        for (let k = 0; k < C; k++) {
          let dot = 0;
          for (let t = 0; t < D; t++) dot += clean[i * D + t] * (k === c ? e.classEmb[slot[r] * D + t] : ens.classEmb[k * D + t]);
          z[r * C + k] = s * dot;
        }
      });
      const { p } = softmaxRows(z, n, C);
      rows.forEach((i, r) => {
        const c = viewLabels[i], f = (s * (p[r * C + c] - 1)) / n;
        for (let t = 0; t < D; t++) gClass[slot[r] * D + t] += f * clean[i * D + t];
      });
      return ensembleBackward(e, gClass);
    };
    const delta = await pgdPrompts(ctx, model, ids, Ct * G, objective, { epsRel: ta.epsRel, alphaRel: ta.alphaRel, steps: ta.steps, count: 'none' });
    advText = normalizeRows((await model.textForward(ids, Ct * G, delta, { count: 'none' })).embeds, Ct * G, D).y;
  }
  return {
    images: B, views: V, dim: D, classNames: [...probe.classNames], classes: C, perClass: G, labels: Uint32Array.from(probe.labels), textClasses,
    clean, adv, text: gatherGroups(tUnit, textClasses, G, D), advText, classEmb: Float64Array.from(ens.classEmb), scale: s,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Snapshot

export type PointKind = 'clean' | 'aug' | 'adv' | 'text' | 'advText';

export interface ProjectionBasis {
  /** Centre [dim] and two unit axes [dim] each. */
  mean: number[];
  axes: [number[], number[]];
  /** The step whose features defined the plane. */
  step: number;
  /** Fraction of that step's clean image + text variance on each axis. */
  explained: [number, number];
}

export interface GeometrySnapshot {
  /** Optimiser steps taken by the measured model (0 = the model before fine-tuning). */
  step: number;
  images: number;
  views: number;
  perClass: number;
  dim: number;
  classNames: string[];
  /** Class of each probe image. */
  labels: number[];
  /** Classes with text groups. */
  textClasses: number[];
  /** Mean spectrum per pair type (degrees). */
  spectra: Spectra;
  /** Spectrum of every pair: advClean / imageText per image, advText per entry of `textClasses`. */
  groups: Partial<Record<GeometryPair, number[][]>>;
  /** Mean principal angle per pair type (degrees). */
  meanAngles: Partial<Record<GeometryPair, number>>;
  /** Zero-shot accuracy of the probe's views (prompt ensembles of every class), clean and attacked. */
  accuracy: { clean: number; adversarial: number };
  projection: ProjectionBasis & { captured: number };
  /**
   * Every feature in the plane, as columns: kind, class, group (the image index for image points, the text class's
   * index in `textClasses` for text points) and member (view or prompt index in the group).
   */
  points: { x: number[]; y: number[]; kind: PointKind[]; cls: number[]; group: number[]; member: number[] };
  /** Wall time of the measurement. */
  seconds?: number;
}

/** Rounded for a small JSON (well below the fp32 accuracy of the features). */
const r5 = (v: number) => Math.round(v * 1e5) / 1e5;

/** Top two eigenvectors of the covariance of rows [n, d] (float64; power iteration with deflation). */
export function pca2(rows: Float64Array, n: number, d: number): { mean: Float64Array; axes: [Float64Array, Float64Array]; variances: [number, number]; total: number } {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k] += rows[i * d + k] / n;
  const cov = new Float64Array(d * d);
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const xa = rows[i * d + a] - mean[a];
      total += (xa * xa) / n;
      for (let b = a; b < d; b++) cov[a * d + b] += (xa * (rows[i * d + b] - mean[b])) / n;
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) cov[a * d + b] = cov[b * d + a];
  const axes: Float64Array[] = [], variances: number[] = [];
  for (let k = 0; k < 2; k++) {
    let v = new Float64Array(d);
    for (let j = 0; j < d; j++) v[j] = 1 + ((j * 7919) % 13) / 13; // deterministic, not orthogonal to typical axes
    let lambda = 0;
    for (let it = 0; it < 500; it++) {
      for (const u of axes) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += u[j] * v[j];
        for (let j = 0; j < d; j++) v[j] -= dot * u[j];
      }
      const w = new Float64Array(d);
      for (let a = 0; a < d; a++) { let acc = 0; for (let b = 0; b < d; b++) acc += cov[a * d + b] * v[b]; w[a] = acc; }
      for (const u of axes) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += u[j] * w[j];
        for (let j = 0; j < d; j++) w[j] -= dot * u[j];
      }
      let norm = 0;
      for (let j = 0; j < d; j++) norm += w[j] * w[j];
      norm = Math.sqrt(norm);
      if (norm < 1e-300) break;
      let change = 0;
      for (let j = 0; j < d; j++) { const nv = w[j] / norm; change += (nv - v[j]) ** 2; w[j] = nv; }
      v = w;
      lambda = norm;
      if (change < 1e-24) break;
    }
    // Sign: the largest-magnitude component positive (deterministic across hosts).
    let big = 0;
    for (let j = 1; j < d; j++) if (Math.abs(v[j]) > Math.abs(v[big])) big = j;
    if (v[big] < 0) for (let j = 0; j < d; j++) v[j] = -v[j];
    axes.push(v);
    variances.push(lambda);
  }
  return { mean, axes: [axes[0], axes[1]], variances: [variances[0], variances[1]], total };
}

function accuracyOf(x: Float64Array, labels: Uint32Array, V: number, classEmb: Float64Array, C: number, D: number): number {
  const N = labels.length * V;
  let correct = 0;
  for (let i = 0; i < N; i++) {
    let best = 0, bestV = -Infinity;
    for (let k = 0; k < C; k++) {
      let dot = 0;
      for (let t = 0; t < D; t++) dot += x[i * D + t] * classEmb[k * D + t];
      if (dot > bestV) { bestV = dot; best = k; }
    }
    if (best === labels[Math.floor(i / V)]) correct++;
  }
  return N ? correct / N : NaN;
}

export interface SnapshotOptions {
  step?: number;
  /** A fixed projection plane (from an earlier snapshot); default: PCA of this snapshot's clean image + text features. */
  basis?: ProjectionBasis;
}

type SpectrumFn = (x: ArrayLike<number>, y: ArrayLike<number>, s: GroupShape) => Promise<GroupSpectrum> | GroupSpectrum;

async function snapshotWith(f: GeometryFeatures, o: SnapshotOptions, spectrum: SpectrumFn): Promise<GeometrySnapshot> {
  const { images: B, views: V, dim: D, perClass: G, textClasses } = f;
  const Ct = textClasses.length;
  const spectra: Spectra = {}, groups: GeometrySnapshot['groups'] = {}, meanAngles: GeometrySnapshot['meanAngles'] = {};
  const put = (k: GeometryPair, r: GroupSpectrum) => {
    spectra[k] = r.spectrum.map(r5);
    groups[k] = r.perGroup.map((g) => g.map(r5));
    meanAngles[k] = r5(r.mean);
  };
  put('advClean', await spectrum(f.adv, f.clean, { pairs: B, n: V, m: V, d: D }));
  const textOfImage = Array.from(f.labels, (c) => textClasses.indexOf(c));
  put('imageText', await spectrum(f.clean, gatherGroups(f.text, textOfImage, G, D), { pairs: B, n: V, m: G, d: D }));
  if (f.advText) put('advText', await spectrum(f.advText, f.text, { pairs: Ct, n: G, m: G, d: D }));

  // The plane: clean image views + clean text prompts.
  const fitRows = new Float64Array((B * V + Ct * G) * D);
  fitRows.set(f.clean);
  fitRows.set(f.text, B * V * D);
  const fitN = B * V + Ct * G;
  let basis = o.basis;
  const fit = pca2(fitRows, fitN, D);
  if (!basis) {
    basis = {
      mean: Array.from(fit.mean, r5), axes: [Array.from(fit.axes[0]), Array.from(fit.axes[1])], step: o.step ?? 0,
      explained: [r5(fit.total > 0 ? fit.variances[0] / fit.total : 0), r5(fit.total > 0 ? fit.variances[1] / fit.total : 0)],
    };
  }
  if (basis.mean.length !== D) throw new RangeError(`geometry: projection basis of dimension ${basis.mean.length}, features of ${D}`);
  // Variance of this snapshot's fit rows held by the (possibly older) plane.
  let held = 0;
  for (const ax of basis.axes) {
    let m1 = 0, m2 = 0;
    for (let i = 0; i < fitN; i++) {
      let p = 0;
      for (let t = 0; t < D; t++) p += (fitRows[i * D + t] - basis.mean[t]) * ax[t];
      m1 += p / fitN;
      m2 += (p * p) / fitN;
    }
    held += m2 - m1 * m1;
  }
  const pts: GeometrySnapshot['points'] = { x: [], y: [], kind: [], cls: [], group: [], member: [] };
  const add = (rows: Float64Array, count: number, kind: (i: number) => PointKind, cls: (i: number) => number, group: (i: number) => number, member: (i: number) => number) => {
    for (let i = 0; i < count; i++) {
      let px = 0, py = 0;
      for (let t = 0; t < D; t++) {
        const c = rows[i * D + t] - basis!.mean[t];
        px += c * basis!.axes[0][t];
        py += c * basis!.axes[1][t];
      }
      pts.x.push(r5(px)); pts.y.push(r5(py)); pts.kind.push(kind(i)); pts.cls.push(cls(i)); pts.group.push(group(i)); pts.member.push(member(i));
    }
  };
  const imgCls = (i: number) => f.labels[Math.floor(i / V)], img = (i: number) => Math.floor(i / V), view = (i: number) => i % V;
  add(f.clean, B * V, (i) => (i % V === 0 ? 'clean' : 'aug'), imgCls, img, view);
  add(f.adv, B * V, () => 'adv', imgCls, img, view);
  const txtCls = (i: number) => textClasses[Math.floor(i / G)], txt = (i: number) => Math.floor(i / G), prm = (i: number) => i % G;
  add(f.text, Ct * G, () => 'text', txtCls, txt, prm);
  if (f.advText) add(f.advText, Ct * G, () => 'advText', txtCls, txt, prm);

  return {
    step: o.step ?? 0, images: B, views: V, perClass: G, dim: D, classNames: [...f.classNames], labels: Array.from(f.labels), textClasses: [...textClasses],
    spectra, groups, meanAngles,
    accuracy: { clean: accuracyOf(f.clean, f.labels, V, f.classEmb, f.classes, D), adversarial: accuracyOf(f.adv, f.labels, V, f.classEmb, f.classes, D) },
    projection: { ...basis, captured: r5(fit.total > 0 ? Math.min(1, held / fit.total) : 0) },
    points: pts,
  };
}

/** Snapshot of measured features: spectra on the GPU, projection and accuracy on the CPU. */
export function snapshotFromFeatures(ctx: GpuContext, f: GeometryFeatures, o: SnapshotOptions = {}): Promise<GeometrySnapshot> {
  return snapshotWith(f, o, (x, y, s) => groupSpectrum(ctx, x, y, s));
}

/** Float64 CPU reference of `snapshotFromFeatures`. */
export function snapshotFromFeaturesRef(f: GeometryFeatures, o: SnapshotOptions = {}): Promise<GeometrySnapshot> {
  return snapshotWith(f, o, groupSpectrumRef);
}

/**
 * The geometry of `model` on `probe` (any FineTuneModel: the pre-trained one before training, or one being
 * fine-tuned). `basis` keeps an earlier snapshot's projection plane.
 */
export async function computeGeometry(ctx: GpuContext, model: FineTuneModel, probe: GeometryProbe, o: SnapshotOptions = {}): Promise<GeometrySnapshot> {
  const t0 = performance.now();
  const f = await geometryFeatures(ctx, model, probe);
  const snap = await snapshotFromFeatures(ctx, f, o);
  snap.seconds = r5((performance.now() - t0) / 1000);
  return snap;
}
