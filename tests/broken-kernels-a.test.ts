/**
 * Each kernel family's self-checks catch a deliberately broken WGSL variant (gram, normalize, crossentropy): a
 * passing check must mean the kernel is right, not that the check cannot fail.
 */
import { describe, expect, it } from 'vitest';
import type { ShaderName } from '../src/kernels/shaders';
import { freshSeed } from '../src/util/random';
import { brokenKernelReport } from './helpers/gpu';

const seed = freshSeed();

const brokenReport = (shader: ShaderName, find: string, replace: string, checkName: string) =>
  brokenKernelReport(shader, find, replace, checkName, seed);

describe(`broken kernels are caught (AOS_SEED=${seed})`, () => {
  it('gram: dropping the last column of every d-chunk is caught', async () => {
    const report = await brokenReport('gram', 'min(CHUNK, d - d0)', 'min(CHUNK - 1u, d - d0)', 'gram/cross-n5-m11-d100');
    expect(report.ok).toBe(false);
    expect(report.message).toMatch(/gram cross-n5-m11-d100: \d+\/\d+ mismatches/);
  });

  it('gram: losing the last column slice of a small group is caught', async () => {
    const report = await brokenReport('gram', 'q < slices;', 'q + 1u < slices;', 'gram/self-n8-d64');
    expect(report.ok).toBe(false);
    expect(report.message).toMatch(/gram self-n8-d64: \d+\/\d+ mismatches/);
  });

  it('normalize: the unit-sphere gradient applied to rows clamped by eps is caught', async () => {
    const report = await brokenReport('normalize', 'if (norm >= p.eps) {', 'if (norm >= 0.0) {', 'normalize/backward-clamped');
    expect(report.ok).toBe(false);
    expect(report.message).toMatch(/normalize backward-clamped gx: \d+\/\d+ mismatches/);
  });

  it('normalize: dividing by ‖x‖ + eps instead of max(‖x‖, eps) is caught', async () => {
    const report = await brokenReport('normalize', 'max(norm, p.eps)', '(norm + p.eps)', 'normalize/forward-clamped');
    expect(report.ok).toBe(false);
    expect(report.message).toMatch(/normalize forward-clamped y: \d+\/\d+ mismatches/);
  });

  it('crossentropy: a softmax without max subtraction overflows on large logits and is caught', async () => {
    const report = await brokenReport('crossentropy', 'exp(rowLogits[base + c] - maxLogit)', 'exp(rowLogits[base + c])', 'crossentropy/b37-c130-large-logits-weighted');
    expect(report.ok).toBe(false);
    expect(report.message).toMatch(/crossentropy b37-c130-large-logits-weighted loss: \d+\/\d+ mismatches/);
  });

  it('crossentropy: breaking argmax ties towards the highest index is caught', async () => {
    const report = await brokenReport('crossentropy', 'oi < mine', 'oi > mine', 'crossentropy/b16-c70-ties');
    expect(report.ok).toBe(false);
    expect(report.message).toMatch(/crossentropy b16-c70-ties predicted: \d+\/\d+ mismatches/);
  });

  it('crossentropy: a one-hot at the predicted class instead of the label is caught in the zero-shot gradients', async () => {
    const report = await brokenReport('crossentropy', 'select(0.0, 1.0, c == label)', 'select(0.0, 1.0, c == argmax)', 'zeroShot/b33-c100-d96-weighted');
    expect(report.ok).toBe(false);
    expect(report.message).toMatch(/zeroShot b33-c100-d96-weighted gradImages: \d+\/\d+ mismatches/);
    expect(report.message).toMatch(/zeroShot b33-c100-d96-weighted loss: ok/);
  });
});
