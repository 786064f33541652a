/**
 * A small subset of the ONNX project's own backend node tests (fixtures/onnx-node, see its README for the source
 * commit and license), run through our executor against the outputs ONNX ships: model.onnx + test_data_set_0.
 * Unlike the per-op tests against onnxruntime, the expected values here are ONNX's definition (issue 18 found
 * ConvTranspose SAME_UPPER giving 5×5 where the spec says 6×6, and PRelu/Softsign refused).
 * `scripts/onnx-node-tests.ts` runs the whole suite from a checkout of onnx/onnx the same way.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withGpu } from '../helpers/gpu';
import { loadNodeCase, notClaimed, runNodeCase } from './onnx-node-cases';

const ROOT = join(import.meta.dirname, 'fixtures', 'onnx-node');
const CASES = readdirSync(ROOT).filter((d) => d.startsWith('test_')).sort();

describe('ONNX backend node tests (subset of onnx/onnx@6be0677) through the executor', () => {
  it('the subset is there and uses only ops and dtypes the executor claims', () => {
    expect(CASES.length).toBe(42);
    for (const dir of CASES) expect(notClaimed(loadNodeCase(join(ROOT, dir))), dir).toBeUndefined();
  });

  it('every case matches ONNX\'s expected outputs', async () => {
    const failures: string[] = [];
    const viaConstants: string[] = [];
    await withGpu(async (ctx) => {
      for (const dir of CASES) {
        const r = await runNodeCase(ctx, loadNodeCase(join(ROOT, dir)));
        failures.push(...r.failures);
        if (r.constants.length) viaConstants.push(`${dir}: ${r.constants.join(', ')}`);
      }
    });
    expect(failures, failures.join('\n')).toEqual([]);
    // The tests that feed shape-like inputs as graph inputs, and exactly those inputs, went through `constants`
    // (each retry took the input the error message named).
    expect(viaConstants).toEqual([
      'test_constant_pad: pads, value', 'test_reduce_log_sum_exp_empty_set: axes', 'test_reduce_max_empty_set: axes',
      'test_reduce_sum_keepdims_example: axes', 'test_reshape_negative_dim: shape',
      'test_reshape_reordered_all_dims: shape', 'test_slice_negative_axes: starts, ends, axes', 'test_tril_neg: k',
    ]);
  });
});
