/**
 * Session self-checks, run on both hosts: a small ONNX graph built with our builder runs through onnxruntime on
 * an input that lives in one of our GPU buffers; the output is compared with a CPU reference. In the browser this
 * proves onnxruntime-web shares our GPUDevice (the input is our buffer, the output is read by our runtime).
 */
import type { KernelCheck } from '../../gpu/kernelCheck';
import { validate } from '../../util/validate';
import { GraphBuilder } from '../builder';
import { tensorFromNumbers } from '../ir';
import { encodeModel } from '../proto';
import { createSession, outputToF32 } from './session';

/** y = softmax(x·W + b) · 2, over rows of x [rows, k]. */
function smallModel(w: Float32Array, bias: Float32Array, rows: number, k: number, n: number): Uint8Array {
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', 'float32', [rows, k]);
  const wName = b.init('W', tensorFromNumbers('float32', w, [k, n]));
  const bName = b.init('b', tensorFromNumbers('float32', bias, [n]));
  const y = b.mul(b.softmax(b.add(b.matmul(x, wName), bName), -1), b.scalar(2));
  b.output(b.op('Identity', [y], {}, { outputs: ['y'] }), 'float32', [rows, n]);
  return encodeModel(b.model());
}

function smallModelRef(x: Float32Array, w: Float32Array, bias: Float32Array, rows: number, k: number, n: number): Float64Array {
  const y = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const z = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let acc = bias[j];
      for (let i = 0; i < k; i++) acc += x[r * k + i] * w[i * n + j];
      z[j] = acc;
    }
    const m = Math.max(...z);
    let s = 0;
    for (let j = 0; j < n; j++) s += (z[j] = Math.exp(z[j] - m));
    for (let j = 0; j < n; j++) y[r * n + j] = (2 * z[j]) / s;
  }
  return y;
}

export const sessionChecks: KernelCheck[] = [
  {
    name: 'onnx-session/gpu-buffer-input',
    async run(ctx, rng) {
      const rows = 5, k = 12, n = 7;
      const w = rng.uniform(k * n), bias = rng.uniform(n), x = rng.uniform(rows * k);
      const session = await createSession(ctx, smallModel(w, bias, rows, k, n), { label: 'small-model' });
      const xBuf = ctx.upload('session.x', x);
      try {
        const out = await session.run({ x: { gpuBuffer: xBuf, dtype: 'float32', dims: [rows, k] } });
        const y = await outputToF32(ctx, out.y);
        out.y.dispose();
        return validate(y, smallModelRef(x, w, bias, rows, k, n), 2e-6, 1e-5, `${session.backend} small model`);
      } finally {
        ctx.release(xBuf);
        await session.release();
      }
    },
  },
];
