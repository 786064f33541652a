/**
 * Each kernel family's self-checks catch a deliberately broken WGSL variant (random, pgd, optim, fare, kl): a passing check
 * must mean the kernel is right, not that the check cannot fail.
 */
import { describe, expect, it } from 'vitest';
import type { ShaderName } from '../src/kernels/shaders';
import { freshSeed } from '../src/util/random';
import { brokenKernelReport } from './helpers/gpu';

const seed = freshSeed();

const brokenReport = (shader: ShaderName, find: string, replace: string, checkName: string) =>
  brokenKernelReport(shader, find, replace, checkName, seed);

describe(`broken kernels are caught (AOS_SEED=${seed})`, () => {
  it('random: a wrong PCG multiplier changes the u32 draws', async () => {
    const report = await brokenReport('random', '* 277803737u', '* 277803739u', 'random/u32');
    expect(report.ok).toBe(false);
    expect(report.message).toMatch(/mismatches/);
  });

  it('pgd: an L2 projection that only shrinks beyond 2ε is caught', async () => {
    const report = await brokenReport('pgd', 'dNorm > e)', 'dNorm > 2.0 * e)', 'pgd/l2-step-embedding');
    expect(report.ok).toBe(false);
    // Always a mismatch against the reference; also outside the ball unless the last step happened to exceed 2ε.
    expect(report.message).toMatch(/pgd l2-step-embedding x \(3 steps\): \d+\/\d+ mismatches/);
  });

  it('optim: a clip scale computed with 2·maxNorm is caught by the clipped AdamW check', async () => {
    const report = await brokenReport('optim', 'min(1.0, p.maxNorm /', 'min(1.0, 2.0 * p.maxNorm /', 'optim/adamw-clip');
    expect(report.ok).toBe(false);
    expect(report.message).toMatch(/adamw-clip params .*mismatches/);
  });

  it('optim: an update that ignores the non-finite flag is caught by the poisoned AdamW and SGD checks', async () => {
    for (const check of ['optim/adamw-clip-nonfinite-masked', 'optim/sgd-momentum-clip-nonfinite-masked']) {
      const report = await brokenReport('optim', 'return p.clip != 0u && gradNorm[3] != 0.0;', 'return false;', check);
      expect(report.ok, check).toBe(false);
      expect(report.message).toMatch(/params .*mismatches/);
    }
  });

  it("fare: a squared-distance gradient of 1/N instead of 2/N, and an 'l2' loss left squared, are caught", async () => {
    const grad = await brokenReport('fare', 'var f: f32 = 2.0 / n;', 'var f: f32 = 1.0 / n;', 'fare/l2-squared');
    expect(grad.ok).toBe(false);
    expect(grad.message).toMatch(/fare l2-squared ∂\/∂embeds: \d+\/\d+ mismatches/);
    const loss = await brokenReport('fare', 'select(total, r, p.l2 == 1u)', 'total', 'fare/l2');
    expect(loss.ok).toBe(false);
    expect(loss.message).toMatch(/fare l2 (mean loss|per-sample losses): \d+\/\d+ mismatches/);
  });

  it('kl: a ∂/∂zP without the row mean A subtracted is caught', async () => {
    const report = await brokenReport('kl', '- (zQ[base + c] - zQk) - a);', '- (zQ[base + c] - zQk));', 'kl/clip-scale');
    expect(report.ok).toBe(false);
    expect(report.message).toMatch(/kl clip-scale ∂\/∂zP: \d+\/\d+ mismatches/);
  });
});
