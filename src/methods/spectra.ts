/**
 * Principal-angle spectra of pairs of row groups (AoS's batch groups, the geometry probe's): on the GPU from host
 * arrays (one submission, one readback) or from groups already on the GPU (`groupSpectraOnDevice`: the angles left
 * for the caller's read — a training step's pending scalars), the statistics in degrees, and the float64 reference.
 */
import type { GpuContext, Recorder } from '../gpu/context';
import { anglesWorkspace, encodePrincipalAngles, principalAnglesMany, principalAnglesRef } from '../subspace';
import type { RingPart } from './metricsRing';

export interface GroupShape {
  pairs: number;
  /** Rows per X group. */
  n: number;
  /** Rows per Y group. */
  m: number;
  d: number;
}

export interface GroupSpectrum {
  /** Mean over the pairs, degrees. */
  spectrum: number[];
  /** Per pair, degrees (NaN-free: each pair's finite angles). */
  perGroup: number[][];
  /** Mean of every finite angle, degrees (the scalar `StepMetrics.angles` reports). */
  mean: number;
}

const DEG = 180 / Math.PI;

/** Radians [pairs, k] (NaN beyond a pair's count) → spectrum statistics in degrees. */
export function spectrumStats(angles: ArrayLike<number>, pairs: number, k: number): GroupSpectrum {
  const sum = new Float64Array(k), cnt = new Uint32Array(k);
  const perGroup: number[][] = [];
  let total = 0, all = 0;
  for (let p = 0; p < pairs; p++) {
    const row: number[] = [];
    for (let i = 0; i < k; i++) {
      const v = angles[p * k + i];
      if (!Number.isFinite(v)) continue;
      sum[i] += v * DEG;
      cnt[i]++;
      total += v * DEG;
      all++;
      row.push(v * DEG);
    }
    perGroup.push(row);
  }
  const spectrum: number[] = [];
  for (let i = 0; i < k && cnt[i] > 0; i++) spectrum.push(sum[i] / cnt[i]);
  return { spectrum, perGroup, mean: all ? total / all : NaN };
}

/** Principal-angle spectrum of pairs of groups x [pairs, n, d], y [pairs, m, d] on the GPU. */
export async function groupSpectrum(ctx: GpuContext, x: ArrayLike<number>, y: ArrayLike<number>, s: GroupShape): Promise<GroupSpectrum> {
  return (await groupSpectra(ctx, [{ x, y, shape: s }]))[0];
}

/** Several spectra (each its own groups and shape) in one submission and one readback. */
export async function groupSpectra(ctx: GpuContext, items: ReadonlyArray<{ x: ArrayLike<number>; y: ArrayLike<number>; shape: GroupShape }>): Promise<GroupSpectrum[]> {
  const r = await principalAnglesMany(ctx, items.map((it) => ({ x: Float32Array.from(it.x), y: Float32Array.from(it.y), shape: it.shape })));
  return r.map((ri, i) => spectrumStats(ri.angles, items[i].shape.pairs, Math.min(items[i].shape.n, items[i].shape.m)));
}

/**
 * Copies groups `picks[i]` of `src` (groups of `floats` f32 each) to slot i of `dst`, in the recorder's submission
 * (buffer copies: the batch's groups gathered for the GPU kernels without a readback).
 */
export function encodeGatherGroups(rec: Recorder, src: GPUBuffer, dst: GPUBuffer, picks: ArrayLike<number>, floats: number): void {
  for (let i = 0; i < picks.length; i++) rec.copy(src, picks[i] * floats * 4, dst, i * floats * 4, floats * 4);
}

/** The adjoint of `encodeGatherGroups` for distinct picks: slot i of `src` copied back to group `picks[i]` of `dst` (clear `dst` first). */
export function encodeScatterGroups(rec: Recorder, src: GPUBuffer, dst: GPUBuffer, picks: ArrayLike<number>, floats: number): void {
  for (let i = 0; i < picks.length; i++) rec.copy(src, i * floats * 4, dst, picks[i] * floats * 4, floats * 4);
}

/**
 * `groupSpectra` of groups already on the GPU: encoded in one submission; the angles are `parts` for the caller's
 * read. An item's `capacity` (≥ pairs) sizes its part, so parts keep one layout from step to step when the number of
 * pairs varies (a metrics ring's slots); `finish` uses the first `pairs`.
 */
export async function groupSpectraOnDevice(ctx: GpuContext, items: ReadonlyArray<{ x: GPUBuffer; y: GPUBuffer; shape: GroupShape; capacity?: number }>, label = 'spectra'): Promise<{ parts: RingPart[]; finish(values: Float32Array[]): GroupSpectrum[]; release(): void }> {
  const held = items.map((it) => {
    const k = Math.min(it.shape.n, it.shape.m), cap = Math.max(it.shape.pairs, it.capacity ?? 0);
    return { k, cap, angles: ctx.buffer(`${label}.angles`, cap * k * 4), count: ctx.buffer(`${label}.count`, it.shape.pairs * 4), ws: anglesWorkspace(ctx, it.shape) };
  });
  const release = () => {
    for (const h of held) {
      h.ws.release();
      ctx.release(h.angles, h.count);
    }
  };
  try {
    await ctx.run(label, (rec) => items.forEach((it, i) => encodePrincipalAngles(rec, it.x, it.y, held[i].angles, held[i].count, held[i].ws, it.shape, `${label}.${i}`)));
  } catch (e) {
    release();
    throw e;
  }
  return {
    parts: held.map((h) => ({ buffer: h.angles, count: h.cap * h.k })),
    finish: (values) => values.map((v, i) => spectrumStats(v.subarray(0, items[i].shape.pairs * held[i].k), items[i].shape.pairs, held[i].k)),
    release,
  };
}

/** Float64 CPU reference of `groupSpectrum`. */
export function groupSpectrumRef(x: ArrayLike<number>, y: ArrayLike<number>, s: GroupShape): GroupSpectrum {
  const r = principalAnglesRef(x, y, s);
  return spectrumStats(r.angles, s.pairs, Math.min(s.n, s.m));
}
