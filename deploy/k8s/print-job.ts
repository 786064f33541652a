/**
 * npm run k8s-job -- --shards N --image IMAGE [--name aos-reproduce] [--parallelism P] [--gpu]
 *                    [--results-claim aos-results] [--namespace NS] [--cpu 4] [--memory 16Gi] [--retries 2]
 *                    [-- reproduce flags, e.g. --quick]
 *
 * Prints the validated Indexed Job (deploy/k8s/job.ts) as JSON: `npm run -s k8s-job -- … | kubectl apply -f -`.
 * Flags after a second `--` go to `npm run reproduce` unchanged.
 */
import { numberFlag, parseFlags } from '../../scripts/cli';
import { reproduceJobManifest } from './job';

const argv = process.argv.slice(2);
const split = argv.indexOf('--');
const own = split < 0 ? argv : argv.slice(0, split);
const reproduceArgs = split < 0 ? [] : argv.slice(split + 1);
const f = parseFlags(own);
try {
  const manifest = reproduceJobManifest({
    name: f.name ?? 'aos-reproduce',
    namespace: f.namespace,
    image: f.image ?? '',
    shards: numberFlag(f, 'shards', 8),
    parallelism: f.parallelism === undefined ? undefined : numberFlag(f, 'parallelism', 1),
    gpu: f.gpu === 'true',
    resultsClaim: f['results-claim'] ?? 'aos-results',
    reproduceArgs,
    cpu: f.cpu,
    memory: f.memory,
    retriesPerShard: f.retries === undefined ? undefined : numberFlag(f, 'retries', 2),
  });
  console.log(JSON.stringify(manifest, null, 2));
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
