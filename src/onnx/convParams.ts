/**
 * Conv and ConvTranspose attributes resolved against concrete dims (auto_pad turned into explicit pads), shared by
 * shape inference (shapes.ts), the executor's lowering and the gradient rules, so that all three agree.
 */
import { GraphError } from './errors';
import { attrValue, describeNode, type Node } from './ir';

export interface ConvParams {
  strides: number[];
  dilations: number[];
  /** [begin_0, …, begin_k, end_0, …, end_k] */
  pads: number[];
  group: number;
  kernel: number[];
}

/** Conv attributes resolved against concrete dims (auto_pad turned into explicit pads). */
export function convParams(node: Node, xDims: number[], wDims: number[]): ConvParams {
  const k = xDims.length - 2;
  const kernel = attrValue<number[]>(node, 'kernel_shape', wDims.slice(2));
  const strides = attrValue<number[]>(node, 'strides', new Array(k).fill(1));
  const dilations = attrValue<number[]>(node, 'dilations', new Array(k).fill(1));
  let pads = attrValue<number[]>(node, 'pads', new Array(2 * k).fill(0));
  const autoPad = attrValue(node, 'auto_pad', 'NOTSET');
  if (autoPad === 'VALID') pads = new Array(2 * k).fill(0);
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = new Array(2 * k).fill(0);
    for (let i = 0; i < k; i++) {
      const out = Math.ceil(xDims[2 + i] / strides[i]);
      const total = Math.max(0, (out - 1) * strides[i] + dilations[i] * (kernel[i] - 1) + 1 - xDims[2 + i]);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + k] = total - pads[i];
    }
  }
  return { strides, dilations, pads, group: attrValue(node, 'group', 1), kernel };
}

export interface ConvTransposeParams extends ConvParams {
  /** Spatial output dims. */
  out: number[];
}

/**
 * ConvTranspose attributes resolved against concrete dims, as the ONNX reference implementation does
 * (onnx/reference/ops/op_conv_transpose.py): with auto_pad SAME_UPPER/SAME_LOWER and no explicit pads the output is
 * `output_shape` or input·stride, and the total padding stride·(in−1) + output_padding + ((k−1)·d+1) − out is split
 * with floor division (SAME_UPPER: the smaller half first). Otherwise pads are explicit (or zero) and the output is
 * `output_shape` or the usual formula. Conv's own SAME rule (out = ⌈in/stride⌉) does not apply here: it gave 5×5
 * where ONNX defines 6×6 (issue 18). A negative total (kernel < stride) is a negative pad: the output extends past
 * the last input's footprint, with zeros (+ bias) there.
 */
export function convTransposeParams(node: Node, xDims: number[], wDims: number[]): ConvTransposeParams {
  const k = xDims.length - 2;
  const kernel = attrValue<number[]>(node, 'kernel_shape', wDims.slice(2));
  const strides = attrValue<number[]>(node, 'strides', new Array(k).fill(1));
  const dilations = attrValue<number[]>(node, 'dilations', new Array(k).fill(1));
  const outPad = attrValue<number[]>(node, 'output_padding', new Array(k).fill(0));
  const given = attrValue<number[] | undefined>(node, 'output_shape', undefined);
  const autoPad = attrValue(node, 'auto_pad', 'NOTSET');
  const explicit = attrValue<number[] | undefined>(node, 'pads', undefined);
  const span = (i: number) => strides[i] * (xDims[2 + i] - 1) + outPad[i] + (kernel[i] - 1) * dilations[i] + 1;
  if (given && given.length !== k) throw new GraphError(`${describeNode(node)}: output_shape has ${given.length} dims for ${k} spatial dims`);
  let pads: number[];
  let out: number[];
  if ((autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') && !explicit) {
    out = given ? [...given] : Array.from({ length: k }, (_, i) => xDims[2 + i] * strides[i]);
    pads = new Array(2 * k).fill(0);
    for (let i = 0; i < k; i++) {
      const total = span(i) - out[i];
      const half = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? half : total - half;
      pads[i + k] = total - pads[i];
    }
  } else {
    pads = autoPad === 'VALID' || !explicit ? new Array(2 * k).fill(0) : [...explicit];
    out = given ? [...given] : Array.from({ length: k }, (_, i) => span(i) - pads[i] - pads[i + k]);
  }
  return { strides, dilations, pads, group: attrValue(node, 'group', 1), kernel, out };
}
