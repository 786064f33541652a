/**
 * Hostile inputs for the parser fuzz suites, all derived from a seed: structural mutants of the bundled tiny-clip
 * ONNX towers plus hand-made size bombs, and field edits of its tokenizer.json / preprocessor / model configs, of a
 * results file with training curves (tests/helpers/syntheticResults.ts) and of the committed models' manifest.
 */
import { readFileSync } from 'node:fs';
import { decodeModel, encodeModel } from '../../src/onnx/proto';
import { tensorFromNumbers, type Model, type Node } from '../../src/onnx/ir';
import { Rng } from '../../src/util/random';
import { syntheticResults } from '../helpers/syntheticResults';

const DIR = 'public/models/tiny-clip';
const HUGE = [0, -1, -7, 3, 2 ** 31, 2 ** 53, 1e9, 65536, 30000, 2 ** 62];
const OPS = ['Range', 'ConstantOfShape', 'Expand', 'Tile', 'Transpose', 'Reshape', 'Concat', 'Gather', 'Slice', 'Add', 'MatMul', 'Unsqueeze', 'Softmax', 'Where'];

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(0, xs.length)];

function sideBomb(rng: Rng, m: Model): void {
  const n = () => pick(rng, HUGE);
  const c = (name: string, v: number[]) => { m.graph.initializers.set(name, tensorFromNumbers('int64', v, [v.length])); return name; };
  const s = (name: string, v: number) => { m.graph.initializers.set(name, tensorFromNumbers('int64', [v], [])); return name; };
  const k = rng.int(0, 5);
  const node: Node = k === 0 ? { op: 'Range', inputs: [s('b_s', 0), s('b_l', n()), s('b_d', pick(rng, [1, 0, -1]))], outputs: ['bomb'], attrs: {}, name: 'bomb_range', domain: '' }
    : k === 1 ? { op: 'ConstantOfShape', inputs: [c('b_shape', [n(), n()])], outputs: ['bomb'], attrs: {}, name: 'bomb_cos', domain: '' }
      : k === 2 ? { op: 'Expand', inputs: [c('b_one', [1]), c('b_shape', [n(), n()])], outputs: ['bomb'], attrs: {}, name: 'bomb_expand', domain: '' }
        : k === 3 ? { op: 'Tile', inputs: [c('b_x', [1, 2]), c('b_reps', [n()])], outputs: ['bomb'], attrs: {}, name: 'bomb_tile', domain: '' }
          : { op: 'Transpose', inputs: [c('b_x', [1, 2, 3])], outputs: ['bomb'], attrs: { perm: { type: 'ints', value: [n(), n()] } }, name: 'bomb_tr', domain: '' };
  m.graph.nodes.splice(rng.int(0, m.graph.nodes.length + 1), 0, node);
  // Half the bombs are live: their Shape becomes an extra graph output.
  if (rng.next() < 0.5) {
    m.graph.nodes.push({ op: 'Shape', inputs: ['bomb'], outputs: ['bomb_shape'], attrs: {}, name: 'bomb_shape', domain: '' });
    m.graph.outputs.push({ name: 'bomb_shape', dtype: 'int64' });
  }
}

function mutateGraph(rng: Rng, m: Model): void {
  const g = m.graph;
  const node = pick(rng, g.nodes);
  const names = [...g.nodes.flatMap((n) => n.outputs), ...g.initializers.keys()];
  switch (rng.int(0, 8)) {
    case 0: { const i = rng.int(0, Math.max(node.inputs.length, 1)); node.inputs[i] = rng.next() < 0.5 ? 'dangling' : pick(rng, names); break; }
    case 1: node.op = pick(rng, OPS); break;
    case 2: { // an int attribute or perm edit (the 4-byte edit class)
      const keys = Object.keys(node.attrs);
      if (!keys.length) { node.attrs.axis = { type: 'int', value: pick(rng, HUGE) }; break; }
      const a = node.attrs[pick(rng, keys)];
      if (a.type === 'int') a.value = pick(rng, HUGE);
      else if (a.type === 'ints') a.value = a.value.map((v) => (rng.next() < 0.5 ? pick(rng, HUGE) : v));
      break;
    }
    case 3: { // a small integer initializer (shape constants, axes) gets crafted values
      const ints = [...g.initializers].filter(([, t]) => (t.dtype === 'int64' || t.dtype === 'int32') && t.dims.reduce((a, b) => a * b, 1) <= 8);
      if (!ints.length) break;
      const [name, t] = pick(rng, ints);
      g.initializers.set(name, tensorFromNumbers(t.dtype, Array.from({ length: t.dims.reduce((a, b) => a * b, 1) }, () => pick(rng, HUGE)), t.dims));
      break;
    }
    case 4: node.inputs = [...node.inputs, pick(rng, names)]; break; // arity
    case 5: node.inputs = node.inputs.slice(0, rng.int(0, node.inputs.length)); break;
    case 6: { const later = g.nodes[g.nodes.length - 1]; node.inputs[0] = later.outputs[0]; break; } // cycle
    default: if (g.inputs[0].dims) g.inputs[0].dims = g.inputs[0].dims.map((d) => (rng.next() < 0.5 ? pick(rng, [0, 1, 100000, 'sym']) : d)); break;
  }
}

/** One ONNX input: bytes of a structural mutant, a side/used size bomb, or random byte flips. */
export function onnxMutant(rng: Rng): { bytes: Uint8Array; what: string } {
  const file = pick(rng, ['text_model.onnx', 'vision_model.onnx']);
  const bytes = readFileSync(`${DIR}/onnx/${file}`);
  const kind = rng.int(0, 10);
  if (kind === 0) {
    const b = new Uint8Array(bytes);
    for (let i = rng.int(1, 5); i > 0; i--) b[rng.int(0, b.length)] = rng.int(0, 256);
    return { bytes: b, what: `${file} byte flips` };
  }
  const m = decodeModel(bytes);
  if (kind <= 3) sideBomb(rng, m);
  else for (let i = rng.int(1, 3); i > 0; i--) mutateGraph(rng, m);
  return { bytes: encodeModel(m), what: `${file} ${kind <= 3 ? 'bomb' : 'mutant'}` };
}

const REGEXES = ['(.*)*\\.x', '(a+)+$', '\\s+', '[\\p{L}]+', '(?:x|x)*y', "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+"];
const VALUES: unknown[] = [null, -1, 0, 1, 2 ** 31, 1e308, 65536, 'x', [], {}, true, 1.5, NaN];

/** Sets a random leaf (or a regex) of a JSON tree to a hostile value. */
function editJson(rng: Rng, j: any, maxDepth = 4): string {
  const paths: (string | number)[][] = [];
  const walk = (x: any, p: (string | number)[], depth: number) => {
    if (depth > maxDepth || paths.length > 4000) return;
    if (x && typeof x === 'object') for (const k of Object.keys(x).slice(0, 400)) { paths.push([...p, k]); walk(x[k], [...p, k], depth + 1); }
  };
  walk(j, [], 0);
  for (let i = rng.int(1, 4); i > 0; i--) {
    const p = pick(rng, paths);
    let o = j;
    for (const k of p.slice(0, -1)) o = o?.[k];
    if (!o || typeof o !== 'object') continue;
    const key = p[p.length - 1];
    // A fresh copy: the same [] or {} placed twice could be nested into itself (a circular tree) by a later edit.
    o[key] = key === 'Regex' || rng.next() < 0.1 ? pick(rng, REGEXES) : structuredClone(pick(rng, VALUES));
  }
  return JSON.stringify(j);
}

export function tokenizerMutant(rng: Rng): string {
  const j = JSON.parse(readFileSync(`${DIR}/tokenizer.json`, 'utf8'));
  if (rng.next() < 0.3) j.model.vocab[`tok${rng.int(0, 99)}`] = pick(rng, HUGE.filter((x) => x >= 0));
  if (rng.next() < 0.2) j.normalizer.normalizers[1].pattern.Regex = pick(rng, REGEXES);
  if (rng.next() < 0.2) j.truncation.max_length = pick(rng, HUGE);
  return rng.next() < 0.5 ? editJson(rng, j) : JSON.stringify(j);
}

export function configMutant(rng: Rng): { file: 'config.json' | 'preprocessor_config.json'; text: string } {
  const file = rng.next() < 0.5 ? 'config.json' : 'preprocessor_config.json';
  return { file, text: editJson(rng, JSON.parse(readFileSync(`${DIR}/${file}`, 'utf8'))) };
}

/** A results file (v2, with training curves) or the committed models' manifest, with hostile field edits deep inside. */
export function resultsMutant(rng: Rng): { what: 'results' | 'manifest'; text: string } {
  if (rng.next() < 0.3) return { what: 'manifest', text: editJson(rng, JSON.parse(readFileSync('public/results/models/manifest.json', 'utf8')), 6) };
  const j: any = JSON.parse(JSON.stringify(syntheticResults({ curves: true })));
  const run: any = pick(rng, j.runs.filter((r: any) => r.curve));
  // Column lengths and term tables that disagree, besides the random edits.
  if (rng.next() < 0.2) run.curve.terms[pick(rng, ['x', '__proto__', 'constructor', 'a'.repeat(70)])] = run.curve.loss.slice(0, rng.int(0, 41));
  if (rng.next() < 0.2) run.curve.step = run.curve.step.map((v: number) => (rng.next() < 0.1 ? pick(rng, HUGE) : v));
  if (rng.next() < 0.1) run.curve.loss = Array.from({ length: 5000 }, () => 1);
  return { what: 'results', text: editJson(rng, j, 7) };
}
