/**
 * Model loading and gradients in headless Chromium (WebGPU on SwiftShader):
 *
 * 1. The tiny CLIP fixture (public/fixtures/tiny-clip/, served by Vite) loads in the page through the URL path a
 *    hub model uses (fetch from a URL base, HEAD sizes, streamed with progress, sha256), and the input gradients
 *    d⟨upstream, image_embeds⟩/d pixel_values of its vision tower, computed on onnxruntime-web WebGPU on the page's
 *    device (GradientGraphCache forward + backward graphs through createSession), agree with the same computed by
 *    onnxruntime-node here in the test process, on the same fixture loaded through the same URL path.
 *    Tolerance: |web − node| ≤ 1e-4 · max|node| + 1e-3 · |node| elementwise, for the gradient and image_embeds
 *    (both float32; measured differences are ~1e-7 of the scale).
 * 2. onnxruntime's node placement (its verbose session log, logSeverityLevel 0: "Node(s) placed on [EP]. Number of
 *    nodes: N" and the node list) for the forward and backward graphs: no node of either runs on the CPU execution
 *    provider (the autodiff sums gradient contributions with Add trees: onnxruntime-web's WebGPU provider has no Sum).
 * The float64-reference gradient self-check (src/models/gradient.check.ts) runs on the self-test page
 * (e2e/selftest.spec.ts) and in Node (tests/kernels.test.ts).
 */
import { expect, test, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { towerInputGradientNode } from '../src/models/gradient.node';
import { loadClipModel } from '../src/models/load';
import { Rng } from '../src/util/random';
import { validate } from '../src/util/validate';
// The page-side result types (erased at run time: the probe itself runs in the page).
import type { PlacementReport as Placement, ProbeGradientResult as ProbeResult } from '../src/models/browser-probe';

const BATCH = 2;
const FIXTURE = '/fixtures/tiny-clip/';



/** An empty page of the dev server (public/fixtures/probe.html): the probes need no UI, only the origin. */
const PROBE_PAGE = '/fixtures/probe.html';

async function openPage(page: Page, errors: string[]): Promise<void> {
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(PROBE_PAGE);
  expect(await page.evaluate('!!navigator.gpu'), 'navigator.gpu in the probe page').toBe(true);
}

/**
 * Calls an export of src/models/browser-probe.ts in the page. The first import of the probe can make Vite's dev
 * server discover and pre-bundle a new dependency (the import then fails as outdated, or the page reloads): then
 * reopen the page and call again (once).
 */
async function probe<T>(page: Page, call: string): Promise<T> {
  const expr = `import('/src/models/browser-probe.ts').then((m) => m.${call})`;
  try {
    return (await page.evaluate(expr)) as T;
  } catch (e) {
    if (!/context was destroyed|navigat|Target closed|dynamically imported module/i.test(String(e))) throw e;
    console.log(`probe retried after a page reload: ${String(e).split('\n')[0]}`);
    await page.goto(PROBE_PAGE);
    return (await page.evaluate(expr)) as T;
  }
}

test('tiny CLIP loads from a URL base and its WebGPU input gradients match onnxruntime-node', async ({ page, baseURL }) => {
  const seed = (Math.random() * 2 ** 32) >>> 0;
  const rng = new Rng(seed);
  const errors: string[] = [];
  await openPage(page, errors);

  // The same fixture through the same URL path on the Node side (Vite's server on 127.0.0.1: http is allowed there).
  const base = new URL(FIXTURE, baseURL).href;
  const model = await loadClipModel(base);
  const [, C, H, W] = [BATCH, 1, 28, 28];
  expect(model.vision.input.dims).toEqual(['batch', C, H, W]);
  const pixels = rng.uniform(BATCH * C * H * W, -1, 1);
  const upstream = rng.normal(BATCH * 32);

  const web = await probe<ProbeResult>(page,
    `visionGradientFromUrl(${JSON.stringify(base)}, ${BATCH}, ${JSON.stringify(Array.from(pixels))}, ${JSON.stringify(Array.from(upstream))})`);
  const node = await towerInputGradientNode(model.vision.bytes, { batch: BATCH, data: pixels, upstream });

  // The page read the same bytes as the files on disk, through HEAD sizes and streamed progress.
  for (const f of web.files) {
    const disk = readFileSync(`public${FIXTURE}${f.name}`);
    expect(f.sha256, f.name).toBe(createHash('sha256').update(disk).digest('hex'));
    expect(f.bytes, f.name).toBe(disk.byteLength);
    const last = web.progress.filter((p) => p.file === f.name).at(-1);
    expect(last, `progress of ${f.name}`).toMatchObject({ loaded: disk.byteLength, total: disk.byteLength });
  }
  expect(web.files.map((f) => f.name).sort()).toEqual(model.files.map((f) => f.name).sort());

  expect(web.backend).toBe('webgpu');
  expect(web.inputDims).toEqual([BATCH, C, H, W]);
  expect(web.outputDims).toEqual([BATCH, 32]);
  const scale = (a: ArrayLike<number>) => Math.max(...Array.from(a, Math.abs));
  const e = validate(web.output, node.output, 1e-4 * scale(node.output), 1e-3, `image_embeds web vs node (seed ${seed})`);
  const g = validate(web.grad, node.grad, 1e-4 * scale(node.grad), 1e-3,
    `d⟨upstream, image_embeds⟩/d pixel_values web vs node (seed ${seed}; forward ${web.forwardNodes} nodes, backward ${web.backwardNodes})`);
  console.log(`${e.message}\n${g.message}\nbrowser load + gradients: ${web.ms.toFixed(0)} ms`);
  expect(e.ok, e.message).toBe(true);
  expect(g.ok, g.message).toBe(true);
  expect(scale(node.grad)).toBeGreaterThan(0);
  expect(errors).toEqual([]);
});

test('no node of the tiny CLIP vision forward and backward graphs falls back to the CPU in onnxruntime-web', async ({ page, baseURL }) => {
  const errors: string[] = [];
  await openPage(page, errors);
  const base = new URL(FIXTURE, baseURL).href;
  const r = await probe<Placement>(page, `visionPlacement(${JSON.stringify(base)}, ${BATCH})`);
  console.log(r.lines.join('\n'));
  expect(r.observed, 'onnxruntime-web printed no node placement (logSeverityLevel 0)').toBe(true);
  for (const graph of ['forward', 'backward'] as const) {
    const eps = r.placements[graph];
    expect(Object.keys(eps).length, `${graph}: no placement line`).toBeGreaterThan(0);
    expect(eps.WebGpuExecutionProvider ?? 0, `${graph} graph on WebGPU`).toBeGreaterThan(0);
    const cpuCount = Object.entries(eps).filter(([ep]) => /CPU/i.test(ep)).reduce((s, [, n]) => s + n, 0);
    const cpu = r.cpuNodes[graph];
    expect(cpu.length, `${graph}: every CPU node is listed`).toBe(cpuCount);
    test.info().annotations.push({ type: 'cpu-fallback', description: `${graph}: ${cpuCount} node(s) on the CPU${cpu.length ? `: ${cpu.join(', ')}` : ''} (${JSON.stringify(eps)})` });
    // The autodiff adds gradient contributions with Add trees, never Sum (no WebGPU kernel): nothing may fall back.
    expect(cpu, `${graph} graph: nodes on the CPU execution provider`).toEqual([]);
  }
  expect(errors).toEqual([]);
});

