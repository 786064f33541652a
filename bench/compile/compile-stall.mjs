// Does createComputePipelineAsync keep shader compiles from stalling the page? (issue #18: "measure first")
// Chromium (SwiftShader with --enable-unsafe-webgpu), a page with a rAF frame-gap counter, a long-task observer and a
// 50 ms timer probe compiles N large distinct shaders with createComputePipeline (sync) or createComputePipelineAsync,
// alternating. Prints one JSON line per run. Not part of `npm run bench` (minutes on SwiftShader):
//
//   node bench/compile/compile-stall.mjs [N=6] [statements per shader=1500]
import http from 'node:http';
import { chromium } from 'playwright';

const N = Number(process.argv[2] ?? 6), STATEMENTS = Number(process.argv[3] ?? 1500);
const PAGE = "<!doctype html><html><body><div id=c>0</div><script>\nlet frames = []; let last = performance.now();\nfunction tick(t){ frames.push(t - last); last = t; requestAnimationFrame(tick); }\nrequestAnimationFrame(tick);\nwindow.longTasks = [];\nnew PerformanceObserver((l) => { for (const e of l.getEntries()) longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });\nwindow.shader = (i) => `@group(0) @binding(0) var<storage, read_write> a: array<f32>;\n@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) {\n  var x = a[g.x] + ${i}.0;\n  ${Array.from({length: __STATEMENTS__}, (_, k) => `x = sin(x * ${k + 1}.0) * cos(x + ${i}.0) + sqrt(abs(x)) * a[(g.x + ${k}u) % 1024u];`).join('\\n  ')}\n  a[g.x] = x; }`;\nwindow.run = async (mode, n) => {\n  const ad = await navigator.gpu.requestAdapter(); const dev = await ad.requestDevice();\n  frames = []; longTasks.length = 0; last = performance.now();\n  const t0 = performance.now();\n  const ps = [];\n  for (let i = 0; i < n; i++) {\n    const module = dev.createShaderModule({ code: shader(i + (mode === 'async' ? 1000 : 0)) });\n    const d = { layout: 'auto', compute: { module, entryPoint: 'main' } };\n    if (mode === 'sync') dev.createComputePipeline(d); else ps.push(dev.createComputePipelineAsync(d));\n  }\n  const tIssued = performance.now() - t0;\n  await Promise.all(ps);\n  await dev.queue.onSubmittedWorkDone();\n  const total = performance.now() - t0;\n  await new Promise(r => setTimeout(r, 300));\n  const f = frames.slice(1);\n  return { mode, n, issuedMs: Math.round(tIssued), totalMs: Math.round(total), maxFrameGapMs: Math.round(Math.max(...f)), framesOver100: f.filter(x => x > 100).length, longTasks: longTasks.map(Math.round) };\n};\n</script></body></html>\n";
const srv = http.createServer((q, r) => { r.setHeader('content-type', 'text/html'); r.end(PAGE.replace('__STATEMENTS__', String(STATEMENTS))); }).listen(0, '127.0.0.1');
await new Promise((r) => srv.once('listening', r));
const port = srv.address().port;
const b = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--enable-unsafe-webgpu', '--disable-quic'] });
try {
  const p = await b.newPage();
  await p.goto(`http://127.0.0.1:${port}/`);
  for (const mode of ['sync', 'async', 'sync', 'async']) {
    const r = await p.evaluate(async ([m, n]) => {
      const lat = []; let stop = false;
      (async () => { while (!stop) { const t = performance.now(); await new Promise((res) => setTimeout(res, 50)); lat.push(performance.now() - t - 50); } })();
      const out = await window.run(m, n); stop = true; out.maxTimerDelayMs = Math.round(Math.max(...lat)); return out;
    }, [mode, N]);
    console.log(JSON.stringify(r));
  }
} finally {
  await b.close();
  srv.close();
}
