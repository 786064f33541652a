/** Our own WGSL executor for ONNX graphs (see README.md in this folder). */
export { createExecSession, type ExecSession, type ExecSessionOptions } from './session';
export { buildPlan, execSupports, unsupportedExecOps, type Plan, type PlanOptions } from './plan';
export { ExecError } from './types';
