/** ONNX model I/O, graph tools and autodiff. See README.md in this folder. */
export * from './ir';
export { GraphError } from './errors';
export { GraphBuilder, f as floatAttr, i as intAttr, toAttr, type AttrInput, type GraphBuilderOptions, type OpOptions } from './builder';
export { decodeModel, encodeModel } from './proto';
export { inferShapes, propagate, hasShapeRule, type PropagateOptions, type ShapeOptions, type TensorInfo } from './shapes';
export { evaluate } from './interp';
export { foldConstants, normalizeOpset, removeDeadNodes, simplify, upcastFloat16, type SimplifyOptions } from './passes';
export { insertPerturbation, promoteInitializers, withNewWeights, type PerturbationOptions } from './surgery';
export * from './autodiff';
