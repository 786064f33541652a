/**
 * deploy/slurm/reproduce.sbatch run by bash with the variables Slurm sets for one array task, and stub `npm` /
 * `apptainer` commands that print what they were asked to run: array task → shard i/N, results folder, GPU flag.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = join(process.cwd(), 'deploy/slurm/reproduce.sbatch');
const dir = mkdtempSync(join(tmpdir(), 'aos-slurm-'));
for (const cmd of ['npm', 'apptainer']) {
  writeFileSync(join(dir, cmd), `#!/bin/sh\necho "${cmd} $*"\necho "caps=$NVIDIA_DRIVER_CAPABILITIES"\n`);
  chmodSync(join(dir, cmd), 0o755);
}
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function task(env: Record<string, string>) {
  const r = spawnSync('bash', [SCRIPT], {
    encoding: 'utf8',
    env: { PATH: `${dir}:${process.env.PATH}`, HOME: dir, SLURM_SUBMIT_DIR: dir, ...env },
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe('Slurm array script', () => {
  it('array task i of a contiguous array runs shard (i − min)/count into a stable results folder', () => {
    const r = task({ SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '2', SLURM_ARRAY_TASK_MAX: '9', SLURM_ARRAY_TASK_COUNT: '8', AOS_REPRODUCE_ARGS: '--quick --seeds 0' });
    expect(r.status, r.err).toBe(0);
    expect(r.out).toContain('npm run reproduce -- --shard=3/8 --out results/shards/aos-reproduce --wait --quick --seeds 0');
    expect(r.out).not.toContain('--require-hardware-adapter');
  });

  it('without SLURM_ARRAY_TASK_COUNT (older Slurm) the count comes from min and max', () => {
    const r = task({ SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '3', AOS_RUN_NAME: 'sweep-a' });
    expect(r.out).toContain('npm run reproduce -- --shard=0/4 --out results/shards/sweep-a --wait');
  });

  it('GPU tasks refuse a software adapter and ask the toolkit for the graphics capability; AOS_IMAGE runs in Apptainer', () => {
    const r = task({ SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '2', AOS_GPU: '1', AOS_IMAGE: 'aos-runner.sif' });
    expect(r.status, r.err).toBe(0);
    expect(r.out).toMatch(/apptainer exec --nv --bind \S+:\/results --pwd \/app aos-runner\.sif npm run reproduce -- --shard=1\/2 --out \/results --wait --require-hardware-adapter/);
    expect(r.out).toContain('caps=compute,utility,graphics');
  });

  it('outside an array, or in a stepped array, it refuses to start, saying why', () => {
    const none = task({});
    expect(none.status).not.toBe(0);
    expect(none.err).toMatch(/not inside a Slurm job array/);
    const stepped = task({ SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '8', SLURM_ARRAY_TASK_STEP: '2' });
    expect(stepped.status).toBe(2);
    expect(stepped.err).toMatch(/stepped arrays/);
  });
});
