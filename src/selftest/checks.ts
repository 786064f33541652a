/**
 * Every kernel self-check, in one list: vitest runs them in Node (Dawn) and the self-test page runs them in the
 * browser (the Playwright suite reads the page's JSON), so both hosts check exactly the same things.
 */
import type { GpuContext } from '../gpu/context';
import { Rng } from '../util/random';
import type { CheckReport, KernelCheck } from '../gpu/kernelCheck';
import { matmulChecks } from '../kernels/matmul.check';
import { randomChecks } from '../kernels/random.check';
import { pgdChecks } from '../kernels/pgd.check';
import { optimChecks } from '../kernels/optim.check';
import { accumulateChecks } from '../kernels/accumulate.check';
import { gramChecks } from '../kernels/gram.check';
import { normalizeChecks } from '../kernels/normalize.check';
import { ensembleChecks } from '../kernels/ensemble.check';
import { fareChecks } from '../kernels/fare.check';
import { klChecks } from '../kernels/kl.check';
import { promptAttackChecks } from '../kernels/promptAttack.check';
import { zeroShotChecks } from '../kernels/zeroShot.check';
import { sessionChecks } from '../onnx/run/session.check';
import { modelGradientChecks } from '../models/gradient.check';
import { subspaceChecks } from '../subspace/subspace.check';
import { residualChecks } from '../subspace/residual.check';
import { attackChecks } from '../attacks/kernels.check';
import { execChecks } from '../onnx/exec/elementwise.check';

export const kernelChecks: KernelCheck[] = [
  ...matmulChecks,
  ...randomChecks,
  ...pgdChecks,
  ...optimChecks,
  ...accumulateChecks,
  ...gramChecks,
  ...normalizeChecks,
  ...ensembleChecks,
  ...fareChecks,
  ...klChecks,
  ...promptAttackChecks,
  ...zeroShotChecks,
  ...sessionChecks,
  ...modelGradientChecks,
  ...subspaceChecks,
  ...residualChecks,
  ...attackChecks,
  ...execChecks,
];

/** Runs one check in its own forked context, so its buffers are freed without touching anyone else's. */
export async function runCheck(parent: GpuContext, check: KernelCheck, seed: number): Promise<CheckReport> {
  const t0 = performance.now();
  const ctx = parent.fork();
  try {
    const out = await check.run(ctx, new Rng(seed));
    const results = Array.isArray(out) ? out : [out];
    const ok = results.every((r) => r.ok);
    return {
      name: check.name,
      ok,
      seed,
      ms: performance.now() - t0,
      maxAbsErr: Math.max(...results.map((r) => r.maxAbsErr)),
      message: results.map((r) => r.message).join('\n'),
    };
  } catch (e) {
    return { name: check.name, ok: false, seed, ms: performance.now() - t0, maxAbsErr: NaN, message: String((e as Error)?.stack ?? e) };
  } finally {
    ctx.disposeBuffers();
  }
}

export async function runChecks(
  ctx: GpuContext,
  seed: number,
  filter: (name: string) => boolean = () => true,
  onReport?: (r: CheckReport) => void,
): Promise<CheckReport[]> {
  const reports: CheckReport[] = [];
  for (const [i, check] of kernelChecks.entries()) {
    if (!filter(check.name)) continue;
    const r = await runCheck(ctx, check, (seed + i * 0x9e3779b1) >>> 0);
    reports.push(r);
    onReport?.(r);
  }
  return reports;
}
