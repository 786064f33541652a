/** Our own WGSL executor for ONNX graphs (see README.md in this folder). */
export { createExecSession, type ExecSession, type ExecSessionOptions } from './session';
export { createEngineSession, type EngineSessionOptions, type SessionEngine } from './select';
export { buildPlan, type Plan, type PlanOptions } from './plan';
export { execSupports, unsupportedExecOps } from './ops';
export { execChecks } from './elementwise.check';
export { ExecError } from './types';
