/**
 * The Kubernetes Indexed Job that runs the full protocol (`npm run reproduce`) as N shards, from typed models
 * (`kubernetes-models`, the API's own OpenAPI schema: `.validate()` checks a manifest against it).
 *
 * Each pod runs `npm run reproduce -- --shard=$(JOB_COMPLETION_INDEX)/N --out /results/<name>`; every shard writes
 * its own results file into the shared results volume, and `npm run reproduce -- --merge /results/<name>` builds the
 * table once all are done (deploy/README.md). Print one with `npm run k8s-job -- --shards 8 --image REGISTRY/aos-runner:TAG`.
 */
import { Job } from 'kubernetes-models/batch/v1/Job';
import type { IContainer } from 'kubernetes-models/v1/Container';

export interface ReproduceJobOptions {
  /** Job name (a DNS-1123 label: lower case, digits, '-'); also the results subdirectory. */
  name: string;
  namespace?: string;
  /** The runner image (deploy/Dockerfile), e.g. 'registry.example.org/aos-runner:1a2b3c4'. */
  image: string;
  /** N: the number of shards (= completions); shard i runs as completion index i. */
  shards: number;
  /** Pods at once (default and minimum: every shard, since shards wait for each other between stages). */
  parallelism?: number;
  /** One NVIDIA GPU per pod (`nvidia.com/gpu`), the driver capabilities Dawn needs, and a software adapter refused. */
  gpu?: boolean;
  /** PersistentVolumeClaim (ReadWriteMany, or ReadWriteOnce with parallelism on one node) mounted at /results. */
  resultsClaim: string;
  /** Extra arguments of `npm run reproduce` (e.g. ['--quick']). */
  reproduceArgs?: string[];
  /** CPU and memory per pod (requests = limits: lavapipe uses every core it sees). */
  cpu?: string;
  memory?: string;
  /** Retries of one shard before it counts as failed (a rerun of a crashed shard starts it over cleanly). */
  retriesPerShard?: number;
}

/** Where a job's shards write, inside the results volume. */
export const RESULTS_MOUNT = '/results';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The Job object (not yet validated: `reproduceJob(o).validate()` throws on a schema violation). */
export function reproduceJob(o: ReproduceJobOptions): Job {
  // The schema does not check these: a wrong one would only surface when the cluster refuses the Job.
  if (!DNS_LABEL.test(o.name) || o.name.length > 52) throw new Error(`k8s job: name '${o.name}' must be a DNS-1123 label of at most 52 characters (pods append a suffix)`);
  if (!Number.isInteger(o.shards) || o.shards < 1 || o.shards > 100_000) throw new Error(`k8s job: shards must be an integer in [1, 100000], got ${o.shards}`);
  const parallelism = o.parallelism ?? o.shards;
  if (!Number.isInteger(parallelism) || parallelism < 1) throw new Error(`k8s job: parallelism must be an integer ≥ 1, got ${parallelism}`);
  // Shards wait for each other between the protocol's stages (--wait): a shard not yet started would block the rest.
  if (parallelism < o.shards) throw new Error(`k8s job: parallelism ${parallelism} < ${o.shards} shards: every shard must run at once, since shards wait for each other between the protocol's stages (--wait); use fewer shards`);
  if (!o.image) throw new Error('k8s job: an image is required (build deploy/Dockerfile and push it)');
  const out = `${RESULTS_MOUNT}/${o.name}`;
  const resources = { cpu: o.cpu ?? '4', memory: o.memory ?? '16Gi', ...(o.gpu ? { 'nvidia.com/gpu': 1 } : {}) };
  const container: IContainer = {
    name: 'reproduce',
    image: o.image,
    workingDir: '/app',
    command: ['npm', 'run', 'reproduce', '--'],
    // $(JOB_COMPLETION_INDEX) is expanded by the kubelet from the env entry below (not by a shell: there is none).
    // --wait: a shard that reaches a stage whose earlier stages other shards still run polls until they are done (without
    // it the pod would exit after the first stage and the Job would count as complete with the table unbuilt).
    args: [`--shard=$(JOB_COMPLETION_INDEX)/${o.shards}`, '--out', out, '--wait', ...(o.gpu ? ['--require-hardware-adapter'] : []), ...(o.reproduceArgs ?? [])],
    env: [
      // The Job controller injects this variable too; declaring it makes the $(…) expansion above independent of that.
      { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
      ...(o.gpu
        ? [
          // Without `graphics` the NVIDIA toolkit mounts no Vulkan driver and Dawn falls back to lavapipe.
          { name: 'NVIDIA_DRIVER_CAPABILITIES', value: 'compute,utility,graphics' },
          { name: 'AOS_REQUIRE_HARDWARE_ADAPTER', value: '1' },
        ]
        : []),
    ],
    resources: { requests: resources, limits: resources },
    volumeMounts: [{ name: 'results', mountPath: RESULTS_MOUNT }],
  };
  return new Job({
    metadata: { name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}), labels: { 'app.kubernetes.io/name': 'aos-reproduce', 'app.kubernetes.io/instance': o.name } },
    spec: {
      completionMode: 'Indexed',
      completions: o.shards,
      parallelism,
      // Per-index retries: one bad shard does not use up the others' budget.
      backoffLimitPerIndex: o.retriesPerShard ?? 2,
      ttlSecondsAfterFinished: 7 * 24 * 3600,
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'aos-reproduce', 'app.kubernetes.io/instance': o.name } },
        spec: {
          restartPolicy: 'Never',
          containers: [container],
          volumes: [{ name: 'results', persistentVolumeClaim: { claimName: o.resultsClaim } }],
        },
      },
    },
  });
}

/** The validated manifest as plain JSON (what `kubectl apply -f` reads; JSON is YAML). */
export function reproduceJobManifest(o: ReproduceJobOptions): Record<string, unknown> {
  const job = reproduceJob(o);
  job.validate();
  return job.toJSON() as Record<string, unknown>;
}
