/**
 * Loading and running ONNX backend node tests (a test directory: model.onnx + test_data_set_0/{input,output}_*.pb)
 * through our executor, shared by tests/exec/onnx-node.test.ts (the committed subset) and scripts/onnx-node-tests.ts
 * (any checkout of onnx/onnx's onnx/backend/test/data/node).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GpuContext } from '../../src/gpu/context';
import { unsupportedExecOps } from '../../src/onnx/exec/ops';
import { tensorToNumbers, type DType, type Model, type Tensor } from '../../src/onnx/ir';
import { decodeModel, decodeTensorProto } from '../../src/onnx/proto';
import { validate } from '../../src/util/validate';
import { runExec, toNumbers } from './helpers';

/** ONNX's runner compares with rtol 1e-3, atol 1e-7; we hold float32 kernels to 1e-5 + 1e-4·|ref|. */
export const NODE_ATOL = 1e-5, NODE_RTOL = 1e-4;

export interface NodeCase { name: string; model: Model; inputs: Record<string, Tensor>; outputs: Record<string, Tensor> }

export function loadNodeCase(dir: string): NodeCase {
  const model = decodeModel(new Uint8Array(readFileSync(join(dir, 'model.onnx'))));
  const data = join(dir, 'test_data_set_0');
  const files = readdirSync(data).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const g = model.graph;
  const feedNames = g.inputs.filter((v) => !g.initializers.has(v.name)).map((v) => v.name);
  const read = (prefix: string, names: string[]) => {
    const out: Record<string, Tensor> = {};
    files.filter((f) => f.startsWith(prefix)).forEach((f, i) => {
      const { name, tensor } = decodeTensorProto(new Uint8Array(readFileSync(join(data, f))));
      // As ONNX's runner: by the tensor's name when it has one of the graph's, else by position.
      out[names.includes(name) ? name : names[i]] = tensor;
    });
    return out;
  };
  return { name: dir.split('/').pop()!, model, inputs: read('input_', feedNames), outputs: read('output_', g.outputs.map((v) => v.name)) };
}

const EXEC_DTYPES = new Set<DType>(['float32', 'int64', 'int32', 'bool']);

/** Why the executor does not claim this case (an op it lacks, a dtype it has not), or undefined when it does. */
export function notClaimed(c: NodeCase): string | undefined {
  const ops = unsupportedExecOps(c.model);
  if (ops.length) return `ops: ${ops.join(', ')}`;
  // normalizeOpset lifts 13–17 to 18 and refuses older models.
  const opset = c.model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0;
  if (opset < 13) return `opset ${opset} (13 and above)`;
  const g = c.model.graph;
  const bad = [...g.inputs, ...g.outputs].filter((v) => !EXEC_DTYPES.has(v.dtype));
  if (bad.length) return `dtypes: ${bad.map((v) => `${v.name} ${v.dtype}`).join(', ')}`;
  if (Object.keys(c.outputs).length === 0) return 'no outputs';
  return undefined;
}

export interface NodeResult {
  /** Mismatches and errors (empty: passed). */
  failures: string[];
  /** Inputs given through the `constants` option, as the errors named them. */
  constants: string[];
}

/**
 * Runs a case. Shape-like inputs fed as graph inputs or computed from them (test_reshape_*, Pad's pads, a window's
 * size) fail naming the `constants` option and the inputs: exactly those are given that way, as the message says,
 * and the build is retried.
 */
export async function runNodeCase(ctx: GpuContext, c: NodeCase): Promise<NodeResult> {
  const constants: Record<string, Tensor> = {};
  const failures: string[] = [];
  let got: Awaited<ReturnType<typeof runExec>> | undefined;
  for (let attempt = 0; !got && attempt <= Object.keys(c.inputs).length; attempt++) {
    const feeds = Object.fromEntries(Object.entries(c.inputs).filter(([k]) => !(k in constants)));
    try {
      got = await runExec(ctx, c.model, feeds, { label: c.name, constants });
    } catch (e) {
      const msg = (e as Error).message;
      // The message names the inputs: `{ constants: { 'a': tensor, 'b': tensor } }`.
      const example = /\{ constants: \{ ([^}]*) \} \}/.exec(msg)?.[1] ?? '';
      const named = [...example.matchAll(/'([^']+)': tensor/g)].map((m) => m[1]);
      if (!named.length || named.some((n) => !(n in c.inputs) || n in constants)) return { failures: [`${c.name}: ${msg}`], constants: Object.keys(constants) };
      for (const n of named) constants[n] = c.inputs[n];
    }
  }
  if (!got) return { failures: [`${c.name}: did not build`], constants: Object.keys(constants) };
  for (const [name, want] of Object.entries(c.outputs)) {
    const have = got[name];
    if (!have) { failures.push(`${c.name}/${name}: missing`); continue; }
    if (have.dims.join() !== want.dims.join()) { failures.push(`${c.name}/${name}: dims [${have.dims}], ONNX says [${want.dims}]`); continue; }
    const exact = want.dtype !== 'float32';
    const ref = toNumbers(tensorToNumbers(want)), got1 = Float64Array.from(have.data);
    // Equal infinities (an empty ReduceMax is −∞) differ by NaN in validate's |a − b|: count them as equal.
    for (let k = 0; k < ref.length; k++) if (got1[k] === ref[k] && !Number.isFinite(ref[k])) got1[k] = ref[k] = 0;
    const r = validate(got1, ref, exact ? 0 : NODE_ATOL, exact ? 0 : NODE_RTOL, `${c.name}/${name}`);
    if (!r.ok) failures.push(r.message);
  }
  return { failures, constants: Object.keys(constants) };
}
