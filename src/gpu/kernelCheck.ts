import type { GpuContext } from './context';
import type { Rng } from '../util/random';
import type { ValidateResult } from '../util/validate';

/** One kernel self-check: runs the GPU kernel and its CPU reference on fresh random inputs and compares them. */
export interface KernelCheck {
  /** Unique, e.g. 'matmul/transA-transB'. */
  name: string;
  run(ctx: GpuContext, rng: Rng): Promise<ValidateResult | ValidateResult[]>;
}

export interface CheckReport {
  name: string;
  ok: boolean;
  seed: number;
  ms: number;
  maxAbsErr: number;
  message: string;
}
