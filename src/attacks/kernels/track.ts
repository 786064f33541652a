/** Host side of the attack kernels: worst-case bookkeeping (see ../kernels.ts). */
import type { Recorder } from '../../gpu/context';
import { UniformWriter } from '../../gpu/uniforms';

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
