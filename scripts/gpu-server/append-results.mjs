// Appends one run's numbers to bench/RESULTS.md: a section with the adapter and date, a table of the CLIP cases
// (images/s, TFLOP/s, and the PyTorch reference's images/s beside the ViT-B/32 rows), the skipped / unavailable
// cases with their reasons, a table of the kernel cases, and the PyTorch reference's output as it printed it.
//
//   node scripts/gpu-server/append-results.mjs BENCH.json [MORE.json…] [--pytorch=pytorch.txt] [--note="…"]
//        [--results=bench/RESULTS.md] [--dry-run]
// Several JSON files (e.g. a GPU-engine run and a CPU-engine run of the same session) go into one section.
import { appendFileSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const files = args.filter((a) => !a.startsWith('--'));
if (!files.length) {
  console.error('usage: append-results.mjs BENCH.json [MORE.json…] [--pytorch=FILE] [--note=TEXT] [--results=FILE] [--dry-run]');
  process.exit(2);
}
const docs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')));
const first = docs[0];
const adapters = [...new Set(docs.map((d) => d.adapterName ?? d.adapter?.description))];
const pytorch = opt('pytorch') ? readFileSync(opt('pytorch'), 'utf8') : undefined;

const sig = (v, n = 3) => (Number.isFinite(v) ? (Math.abs(v) >= 10 ** n ? Math.round(v).toString() : Number(v.toPrecision(n)).toString()) : '');
const ms = (v) => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '');

// PyTorch figures by (case, batch): "torch forward ViT-B/32 bs=256 fp32: 4127.0 img/s", "torch PGD-10 … bs=64 fp32: …",
// "torch TeCoA step (PGD-2 + update) ViT-B/32 bs=128 fp32: 531.0 img/s (…)".
const torch = new Map();
for (const line of (pytorch ?? '').split('\n')) {
  let m = /^torch forward ViT-B\/32 bs=(\d+) fp32: ([\d.]+) img\/s/.exec(line);
  if (m) torch.set(`clip/forward:${m[1]}`, `${sig(+m[2])}`);
  m = /^torch PGD-10 ViT-B\/32 bs=(\d+) (fp32|bf16): ([\d.]+) img\/s/.exec(line);
  if (m) torch.set(`clip/pgd10:${m[1]}`, `${torch.get(`clip/pgd10:${m[1]}`) ? `${torch.get(`clip/pgd10:${m[1]}`)}, ` : ''}${sig(+m[3])} ${m[2]}`);
  m = /^torch TeCoA step .*bs=(\d+) fp32: ([\d.]+) img\/s/.exec(line);
  if (m) torch.set(`clip/tecoa-step:${m[1]}`, `${sig(+m[2])}`);
}

const results = docs.flatMap((d) => d.results);
const clip = results.filter((r) => r.name.startsWith('clip/'));
const ENGINE_ORDER = ['exec', 'ort-webgpu', 'ort-cpu'];
const CASE_ORDER = ['clip/forward', 'clip/pgd10', 'clip/tecoa-step'];
const shapeOrder = [...new Set(clip.map((r) => r.params.shape))];
const order = (r) => [CASE_ORDER.indexOf(r.name), shapeOrder.indexOf(r.params.shape), r.params.batch ?? 0, ENGINE_ORDER.indexOf(r.params.engine)];
const cmp = (a, b) => {
  const x = order(a), y = order(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
};
const timedClip = clip.filter((r) => r.runs > 0).sort(cmp);
const seen = new Set();
const notTimed = clip.filter((r) => !(r.runs > 0)).filter((r) => {
  const key = JSON.stringify([r.name, r.params, r.note]);
  return !seen.has(key) && seen.add(key);
});
const kernels = results.filter((r) => !r.name.startsWith('clip/'));

const lines = [];
const date = (first.date ?? new Date().toISOString()).slice(0, 10);
lines.push('', `## ${date} — ${adapters.join(' + ')}, Node, Dawn/Vulkan`, '');
const h = first.host ?? {};
const flags = [...new Set(docs.map((d) => (d.args ?? []).join(' ')))].map((a) => `\`${a || '(none)'}\``).join(', ');
lines.push(`Host: ${h.cpuModel ?? '?'}, ${h.cpus ?? '?'} logical CPUs, ${h.memoryGiB ?? '?'} GiB, Node ${h.node ?? '?'}; bench flags ${flags}.` +
  `${docs.some((d) => d.complete === false) ? ' **Incomplete run** (stopped before the end: only the cases that finished).' : ''}`);
if (opt('note')) lines.push('', opt('note'));

if (timedClip.length) {
  lines.push('', 'CLIP vision tower (bench/clip.ts, bench/tecoa.ts): wall clock around each run (+ ctx.finish()), median of `runs` timed runs after warm-up (*cold*: one first run, alone longer than the case\'s time budget); TFLOP/s counts the matrix products only (bench/clipShapes.ts).', '');
  const withTorch = timedClip.some((r) => torch.has(`${r.name}:${r.params.batch}`) && r.params.shape === 'vit-b32');
  lines.push(`| case | shape | batch | engine | median ms | runs | images/s | TFLOP/s |${withTorch ? ' PyTorch images/s (same run) |' : ''}`);
  lines.push(`| --- | --- | --- | --- | --- | --- | --- | --- |${withTorch ? ' --- |' : ''}`);
  for (const r of timedClip) {
    const p = r.params;
    const t = p.shape === 'vit-b32' ? torch.get(`${r.name}:${p.batch}`) ?? '' : '';
    lines.push(`| ${r.name} | ${p.shape} | ${p.batch} | ${p.engine} | ${ms(r.medianMs)} | ${r.cold ? '1 (cold)' : r.runs} | ${sig(r.rates?.imagesPerSec)} | ${sig(r.rates?.tflops)} |${withTorch ? ` ${t} |` : ''}`);
  }
  const engines = new Map();
  for (const r of timedClip) if (!engines.has(r.params.engine)) engines.set(r.params.engine, (r.note ?? '').split(';')[0]);
  lines.push('', 'Engines: ' + [...engines].map(([e, what]) => `\`${e}\` = ${what}`).join('; ') + '.');
  const tecoa = timedClip.find((r) => r.name === 'clip/tecoa-step');
  if (tecoa) lines.push('TeCoA step: PGD-2 (ε = α = 1/255) + CE + weight gradients + AdamW; `ort-cpu` is the project\'s own step (src/methods FineTuneLoop), `exec` the same step written on our executor in bench/tecoa.ts. PGD-10 is runAttack\'s: 12 forwards + 10 backwards to the pixels (PyTorch\'s loop: 10 + 10).');
}
if (notTimed.length) {
  lines.push('', 'Not measured (recorded by the bench):');
  for (const r of notTimed) {
    const p = r.params;
    const what = [p.shape, p.batch && `batch ${p.batch}`, p.engine].filter(Boolean).join(', ');
    lines.push(`- ${r.name}${what ? ` (${what})` : ''}: ${r.note ?? ''}`);
  }
}
if (kernels.length) {
  lines.push('', 'Kernels (bench/kernels.ts, bench/subspace.ts): GPU timestamps where the adapter has them, else wall clock.', '', '| case | size | median ms | rate |', '| --- | --- | --- | --- |');
  for (const r of kernels) {
    const size = Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(', ');
    const rate = Object.entries(r.rates ?? {}).map(([k, v]) => `${sig(v)} ${k}`).join(', ');
    lines.push(`| ${r.name} | ${size} | ${ms(r.medianMs)}${r.note ? ` (${r.note})` : ''} | ${rate} |`);
  }
}
if (pytorch) {
  lines.push('', 'PyTorch reference on the same card, same session (`pytorch_pgd_reference.py`: random-init HF CLIP ViT-B/32 vision tower, fp32 with TF32 off unless named):', '', '```', ...pytorch.trim().split('\n'), '```');
}
const text = lines.join('\n') + '\n';
if (args.includes('--dry-run')) process.stdout.write(text);
else {
  const target = resolve(opt('results') ?? `${root}/bench/RESULTS.md`);
  appendFileSync(target, text);
  console.log(`appended ${lines.length} lines to ${target}`);
}
