/**
 * The Kubernetes Indexed Job of deploy/k8s/job.ts, built and validated against the Kubernetes API schema
 * (`kubernetes-models`' `.validate()`), and the committed example kept equal to what the generator prints.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reproduceJob, reproduceJobManifest, type ReproduceJobOptions } from '../../deploy/k8s/job';

const base: ReproduceJobOptions = { name: 'aos-reproduce', image: 'registry.example.org/aos-runner:1a2b3c4', shards: 8, resultsClaim: 'aos-results' };

type Manifest = {
  spec: {
    completionMode: string; completions: number; parallelism: number;
    template: { spec: { restartPolicy: string; containers: { command: string[]; args: string[]; env: { name: string; value?: string }[]; resources: { limits: Record<string, unknown> }; volumeMounts: { mountPath: string }[] }[]; volumes: { persistentVolumeClaim: { claimName: string } }[] } };
  };
};

describe('Kubernetes Indexed Job for npm run reproduce', () => {
  it('CPU job: Indexed, N completions, shard i of N from the completion index, results volume; valid against the schema', () => {
    const m = reproduceJobManifest({ ...base, reproduceArgs: ['--quick'] }) as unknown as Manifest;
    expect(m.spec.completionMode).toBe('Indexed');
    expect(m.spec.completions).toBe(8);
    expect(m.spec.parallelism).toBe(8);
    const pod = m.spec.template.spec, c = pod.containers[0];
    expect(pod.restartPolicy).toBe('Never');
    expect([...c.command, ...c.args].join(' ')).toBe('npm run reproduce -- --shard=$(JOB_COMPLETION_INDEX)/8 --out /results/aos-reproduce --wait --quick');
    expect(c.env.map((e) => e.name)).toEqual(['JOB_COMPLETION_INDEX']);
    expect(c.resources.limits['nvidia.com/gpu']).toBeUndefined();
    expect(c.volumeMounts[0].mountPath).toBe('/results');
    expect(pod.volumes[0].persistentVolumeClaim.claimName).toBe('aos-results');
  });

  it('GPU job: one nvidia.com/gpu, graphics among the driver capabilities, a software adapter refused', () => {
    const c = (reproduceJobManifest({ ...base, gpu: true }) as unknown as Manifest).spec.template.spec.containers[0];
    expect(c.resources.limits['nvidia.com/gpu']).toBe(1);
    expect(c.env.find((e) => e.name === 'NVIDIA_DRIVER_CAPABILITIES')?.value).toMatch(/(^|,)graphics(,|$)/);
    expect(c.env.find((e) => e.name === 'AOS_REQUIRE_HARDWARE_ADAPTER')?.value).toBe('1');
    expect(c.args).toContain('--require-hardware-adapter');
  });

  it('the schema check is real: a broken field is refused', () => {
    const job = reproduceJob(base);
    (job.spec!.template.spec!.containers[0] as unknown as { resources: unknown }).resources = { limits: { 'nvidia.com/gpu': 'lots' } };
    expect(() => job.validate()).toThrow(/nvidia\.com~1gpu/);
    const job2 = reproduceJob(base);
    (job2.spec as unknown as { parallelism: unknown }).parallelism = 'all';
    expect(() => job2.validate()).toThrow(/parallelism/);
  });

  it('refuses options the schema does not catch, naming them', () => {
    expect(() => reproduceJob({ ...base, name: 'AoS_Run' })).toThrow(/DNS-1123/);
    expect(() => reproduceJob({ ...base, shards: 0 })).toThrow(/shards/);
    expect(() => reproduceJob({ ...base, shards: 2.5 })).toThrow(/shards/);
    expect(() => reproduceJob({ ...base, parallelism: 0 })).toThrow(/parallelism/);
    // Fewer pods than shards would deadlock at the first stage boundary (shards wait for each other).
    expect(() => reproduceJob({ ...base, parallelism: 3 })).toThrow(/every shard must run at once/);
    expect(() => reproduceJob({ ...base, image: '' })).toThrow(/image/);
  });

  it('the committed example is what `npm run k8s-job -- --shards 8 --image aos-runner:latest` prints', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'deploy/k8s/print-job.ts', '--shards', '8', '--image', 'aos-runner:latest'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(readFileSync('deploy/k8s/reproduce-job.example.json', 'utf8')));
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'deploy/k8s/print-job.ts', '--shards', '8'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/an image is required/);
  });
});
