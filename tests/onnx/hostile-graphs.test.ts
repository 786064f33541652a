/**
 * Named regressions for crafted graphs (issue #17): each once allocated gigabytes, hung, or loaded "fine". Folding
 * must check sizes before allocating, skip side nodes no output needs, and refuse broken graphs naming the node.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/onnx/builder';
import { GraphError } from '../../src/onnx/errors';
import { tensorFromNumbers, type Model } from '../../src/onnx/ir';
import { foldConstants } from '../../src/onnx/passes';
import { decodeModel, encodeModel } from '../../src/onnx/proto';
import { inferShapes } from '../../src/onnx/shapes';

/** x[2] + bomb-side-branch: `side` builds the bomb; `used` says whether the output depends on it. */
function withBomb(side: (b: GraphBuilder) => string, used: boolean): Model {
  const b = new GraphBuilder({ opset: 18 });
  const x = b.input('x', 'float32', [2]);
  const bomb = side(b);
  const y = used ? b.op('Add', [x, b.op('ReduceSum', [b.cast(bomb, 'float32')], { keepdims: 0 })]) : b.op('Relu', [x]);
  b.output(b.op('Identity', [y], {}, { outputs: ['y'] }));
  return b.model();
}

/** Runs `fn` and returns the growth of rss + arrayBuffers in MB and the time it took. */
function measure(fn: () => void): { mb: number; ms: number } {
  const m0 = process.memoryUsage();
  const t0 = performance.now();
  try { fn(); } catch { /* measured either way */ }
  const m1 = process.memoryUsage();
  return { mb: (m1.rss - m0.rss + m1.arrayBuffers - m0.arrayBuffers) / 2 ** 20, ms: performance.now() - t0 };
}

const bombs: [string, (b: GraphBuilder) => string][] = [
  ['Range(0, 1e9, 1)', (b) => b.op('Range', [b.scalar(0, 'int64'), b.scalar(1e9, 'int64'), b.scalar(1, 'int64')])],
  ['ConstantOfShape([2^31])', (b) => b.op('ConstantOfShape', [b.ints([2 ** 31])], { value: tensorFromNumbers('float32', [1], [1]) })],
  ['Expand(1, [65536, 65536])', (b) => b.op('Expand', [b.constant([1], 'float32', [1]), b.ints([65536, 65536])])],
  ['Tile 30000×30000', (b) => b.op('Tile', [b.constant([1], 'float32', [1, 1]), b.ints([30000, 30000])])],
];

describe('constant folding checks sizes before allocating', () => {
  for (const [name, bomb] of bombs) {
    it(`side node ${name} (no output needs it): folds in < 1 s and < 200 MB`, () => {
      const m = withBomb(bomb, false);
      let out: Model | undefined;
      const r = measure(() => { out = foldConstants(m); });
      expect(out, 'folding must succeed: the bomb is dead code').toBeDefined();
      expect(r.ms).toBeLessThan(1000);
      expect(r.mb).toBeLessThan(200);
    });
    it(`used node ${name}: not materialised (< 1 s, < 200 MB)`, () => {
      const m = withBomb(bomb, true);
      const r = measure(() => { try { foldConstants(m); } catch (e) { if (!(e instanceof GraphError)) throw e; } });
      expect(r.ms).toBeLessThan(1000);
      expect(r.mb).toBeLessThan(200);
    });
  }
  it('a Range with delta 0 is refused naming the node', () => {
    const m = withBomb((b) => b.op('Range', [b.scalar(0, 'int64'), b.scalar(5, 'int64'), b.scalar(0, 'int64')], {}, { name: 'bad_range' }), true);
    expect(() => inferShapes(m)).toThrow(/bad_range.*no finite length/);
  });
});

describe('shape inference refuses broken graphs naming the node', () => {
  const transposed = (perm: number[]) => {
    const b = new GraphBuilder({ opset: 18 });
    const x = b.input('x', 'float32', [2, 3, 4]);
    b.output(b.op('Transpose', [x], { perm }, { outputs: ['y'], name: 'tr' }));
    return b.model();
  };
  it('a Transpose perm with a repeated or out-of-range axis (a 4-byte edit) is a GraphError', () => {
    for (const perm of [[0, 0, 1], [0, 1, 7], [2, 1], [0, 1, -1]]) {
      const r = measure(() => expect(() => inferShapes(transposed(perm))).toThrow(GraphError));
      expect(r.ms).toBeLessThan(200);
      expect(() => inferShapes(transposed(perm))).toThrow(/'tr'.*perm/);
    }
  });
  it('an axis of 2^31 (Concat, found by the fuzz suite at seed 127115486: it hung) is a GraphError in milliseconds; Flatten may use axis = rank', () => {
    const concat = (axis: number) => {
      const b = new GraphBuilder({ opset: 18 });
      const x = b.input('x', 'float32', [2, 3]);
      b.output(b.op('Concat', [x, x], { axis }, { outputs: ['y'], name: 'cat' }));
      return b.model();
    };
    for (const axis of [2 ** 31, 2, -3]) {
      const r = measure(() => expect(() => inferShapes(concat(axis))).toThrow(/'cat'.*axis/));
      expect(r.ms).toBeLessThan(200);
    }
    expect(() => inferShapes(concat(-1))).not.toThrow();
    const b = new GraphBuilder({ opset: 18 });
    const x = b.input('x', 'float32', [2, 3]);
    b.output(b.op('Flatten', [x], { axis: 2 }, { outputs: ['y'], name: 'flat' }));
    expect(() => inferShapes(b.model())).not.toThrow();
  });
  it('a shape mismatch (Add of [2] and [3]) is a GraphError', () => {
    const b = new GraphBuilder({ opset: 18 });
    const x = b.input('x', 'float32', [2]);
    b.output(b.op('Add', [x, b.constant([1, 2, 3])], {}, { outputs: ['y'], name: 'mismatch' }));
    expect(() => inferShapes(b.model())).toThrow(GraphError);
  });
  it('a cycle and a dangling input are GraphErrors naming the node', () => {
    const b = new GraphBuilder({ opset: 18 });
    const x = b.input('x', 'float32', [2]);
    b.output(b.op('Add', [x, 'nowhere'], {}, { outputs: ['y'], name: 'dangling' }));
    expect(() => inferShapes(b.model())).toThrow(/dangling.*nowhere/);
    const m = b.model();
    m.graph.nodes[0].inputs = [x, 'y'];
    expect(() => inferShapes(m)).toThrow(GraphError);
  });
  it('a node crashing its shape rule (perm given as a string) is a GraphError, not a TypeError', () => {
    const m = transposed([1, 0, 2]);
    m.graph.nodes[0].attrs.perm = { type: 'string', value: 'abc' } as never;
    expect(() => inferShapes(m)).toThrow(GraphError);
  });
  it('negative and ≥ 2^53 dims in a graph input shape are refused by the decoder', () => {
    for (const d of [-5, 2 ** 53]) {
      const b = new GraphBuilder({ opset: 18 });
      const x = b.input('x', 'float32', [2]);
      b.output(b.op('Relu', [x], {}, { outputs: ['y'] }));
      const m = b.model();
      m.graph.inputs[0].dims = [d];
      expect(() => decodeModel(encodeModel(m))).toThrow(/invalid dim/);
    }
  });
});

describe('ONNX attributes', () => {
  it("an attribute named '__proto__' is an ordinary own attribute, not a prototype", () => {
    const b = new GraphBuilder({ opset: 18 });
    const x = b.input('x', 'float32', [2]);
    b.output(b.op('Relu', [x], {}, { outputs: ['y'] }));
    const m = b.model();
    Object.defineProperty(m.graph.nodes[0].attrs, '__proto__', { value: { type: 'int', value: 7 }, enumerable: true });
    const back = decodeModel(encodeModel(m)).graph.nodes[0].attrs;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(back, '__proto__')).toBe(true);
  });
});
