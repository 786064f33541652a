/**
 * `npm run bench`: prints one JSON document with the adapter and the median time of each case.
 * Flags: --only=NAME[,NAME] (case prefixes), --quick (fewer sizes and runs), --dawn=FLAG (Dawn create() flag).
 */
import { GpuContext } from '../src/gpu/context';
import type { BenchOptions, BenchResult } from './harness';
import { benchAdamw, benchGram, benchMatmul, benchPgd, benchZeroShot } from './kernels';
import { benchSubspace } from './subspace';

const args = process.argv.slice(2);
const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=').slice(1).join('=');
const quick = args.includes('--quick');
const only = flag('only')?.split(',') ?? [];
const dawnFlags = args.filter((a) => a.startsWith('--dawn=')).map((a) => a.slice('--dawn='.length));
const selected = (name: string) => only.length === 0 || only.some((o) => name.startsWith(o));

type Case = { name: string; run: (ctx: GpuContext, opts: BenchOptions) => Promise<BenchResult[]> };

const cases: Case[] = [
  {
    name: 'matmul',
    run: (ctx, opts) => {
      const software = ctx.adapter.isFallbackAdapter || /llvmpipe|swiftshader/i.test(ctx.adapter.description + ctx.adapter.architecture);
      const sizes = quick ? [256, 512] : software ? [256, 512, 1024] : [1024, 2048, 4096];
      return benchMatmul(ctx, sizes, opts);
    },
  },
  { name: 'gram', run: benchGram },
  { name: 'zeroShot', run: benchZeroShot },
  { name: 'pgd', run: benchPgd },
  { name: 'adamw', run: benchAdamw },
  { name: 'subspace', run: (ctx, opts) => benchSubspace(ctx, opts) },
];

async function main() {
  const ctx = await GpuContext.create({ dawnFlags, label: 'bench' });
  const opts: BenchOptions = quick ? { warmup: 1, runs: 3 } : { warmup: 2, runs: 7 };
  const results: BenchResult[] = [];
  for (const c of cases) {
    if (!selected(c.name)) continue;
    results.push(...(await c.run(ctx, opts)));
    ctx.disposeBuffers();
  }
  const doc = {
    date: new Date().toISOString(),
    adapter: { ...ctx.adapter, features: undefined, limits: undefined },
    features: ctx.adapter.features,
    quick,
    results,
  };
  console.log(JSON.stringify(doc, null, 2));
  ctx.destroy();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
