/**
 * GPU→CPU readbacks in the attack loop. With a GPU-resident engine (our executor here; onnxruntime-web's WebGPU
 * build in the browser) and progress reports off, a PGD step never reads back: the readbacks of a whole attack
 * do not grow with its number of steps. With reports on, each step costs exactly one small read (the stats).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAttack, type AttackInputs } from '../../src/attacks/attack';
import type { GpuContext } from '../../src/gpu/context';
import { freshSeed } from '../../src/util/random';
import { testContext, tinyTask, type TinyTask } from './setup';

const seed = freshSeed();
const BATCH = 4, CLASSES = 3;

describe(`readbacks per PGD step (AOS_SEED=${seed})`, () => {
  let ctx: GpuContext;
  let task: TinyTask;
  let inputs: AttackInputs;

  beforeAll(async () => {
    ctx = await testContext();
    task = await tinyTask(ctx, seed, BATCH, CLASSES, 100, 'exec');
    inputs = { pixels: task.pixelsBuf, labels: task.labels, texts: task.texts, classes: task.classes, logitScale: task.logitScale };
  });
  afterAll(async () => {
    await task?.model.release();
    ctx?.disposeBuffers();
  });

  async function readbacks(steps: number, progressEvery: number): Promise<number> {
    const before = ctx.stats.readbacks;
    const r = await runAttack(ctx, task.model, inputs, { method: 'pgd', eps: 2 / 255, steps, seed }, { progressEvery });
    const used = ctx.stats.readbacks - before;
    ctx.release(r.adversarial);
    return used;
  }

  it('no readback inside the step loop when progress reports are off', async () => {
    const short = await readbacks(2, 0);
    const long = await readbacks(7, 0);
    expect(long).toBe(short);
  });

  it('one small readback per step with per-step progress', async () => {
    const short = await readbacks(2, 1);
    const long = await readbacks(7, 1);
    expect(long - short).toBe(5);
  });
});
