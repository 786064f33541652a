/**
 * `createExecSession(ctx, model, options)`: our own WGSL executor behind the same `OnnxSession` interface as the
 * onnxruntime sessions (src/onnx/run/session.ts), so callers pick an engine per session.
 *
 * At creation: the plan is built once (shapes fixed, constants folded, nodes lowered, fused, memory planned),
 * constants are uploaded, buffer slots and per-dispatch uniforms are created and every pipeline is compiled (cached
 * by shader text in the context's pipeline cache). A run records every dispatch into one command encoder (one
 * `ctx.run`) with no readbacks inside; feeds may be our GPU buffers (bound directly, no copy) or CPU arrays
 * (written into session-owned input buffers); outputs are copied into fresh pooled buffers at the end of the same
 * submission (valid until `dispose()`), and read back afterwards when CPU outputs are asked for.
 *
 * Element types on the GPU: float32 as f32, int64 and int32 as i32 (int64 feeds are range-checked; int64 GPU feeds
 * and outputs are int32 buffers), bool as u32 0/1.
 */
import type { GpuContext } from '../../gpu/context';
import { withErrorScope } from '../../gpu/errors';
import type { Model } from '../ir';
import { decodeModel } from '../proto';
import type { OnnxSession, SessionBackend, SessionFeed, SessionOutput } from '../run/session';
import { SessionError } from '../run/session';
import { buildPlan, type Plan, type PlanOptions } from './plan';
import type { Alloc, Command, ShaderTexts, Step } from './types';
import { ExecError } from './types';
import { numelOf } from './view';

const STORAGE = 0x0080 | 0x0004 | 0x0008;
const UNIFORM = 0x0040 | 0x0008;

export interface ExecSessionOptions extends Omit<PlanOptions, 'dedicatedOutputs'> {
  /** Keep outputs on the GPU (default true): `gpuBuffer` set; else read back to `data`. */
  gpuOutputs?: boolean;
  /**
   * GPU outputs are the session's own buffers (no copy; each output has a buffer of its own), valid until the next
   * `run()` or `release()`; `dispose()` does nothing. Default false: fresh pooled copies, valid until `dispose()`.
   */
  reuseOutputBuffers?: boolean;
  /** Progress of the session's pipeline compiles (all asynchronous, before its first run): `done` of `total`. */
  onCompileProgress?: (done: number, total: number) => void;
}

export interface ExecSession extends OnnxSession {
  readonly engine: 'exec';
  readonly plan: Plan;
  /** Dispatches, clears and copies one run records (outputs' copies excluded). */
  readonly commandCount: number;
  /** Distinct pipelines the session uses. */
  readonly pipelineCount: number;
  /**
   * One run with a GPU timestamp pair around every dispatch (each in its own pass), for finding the kernels that
   * dominate; needs the adapter's 'timestamp-query'. Outputs are not returned.
   */
  profile(feeds: Record<string, SessionFeed>): Promise<{ label: string; ns: number }[]>;
}

/** A command with its pipeline, its uniform buffer (written once) and a bind group cached per bound buffer set. */
export interface Prepared {
  cmd: Command;
  pipeline?: GPUComputePipeline;
  uniform?: GPUBuffer;
  lastBuffers?: GPUBuffer[];
  group?: GPUBindGroup;
}

export function shaderTexts(ctx: GpuContext): ShaderTexts {
  const s = ctx.shaders;
  return { common: s.exec_common, matmul: s.exec_matmul, norm: s.exec_norm, gather: s.exec_gather, scatter: s.exec_scatter, conv: s.exec_conv };
}

/** Pipelines (from the context's cache, keyed by shader text) and uniform buffers for `steps`' commands. */
export function prepareSteps(ctx: GpuContext, label: string, steps: readonly Step[], own: (b: GPUBuffer) => GPUBuffer): Prepared[] {
  const sh = shaderTexts(ctx);
  const out: Prepared[] = [];
  for (const step of steps) {
    for (const cmd of step.commands(sh)) {
      const p: Prepared = { cmd };
      if (cmd.kind === 'dispatch') {
        p.pipeline = ctx.pipelines.get(`${label}:${cmd.label}`, cmd.code, cmd.entry, cmd.constants);
        if (cmd.uniforms) {
          p.uniform = own(ctx.buffer(`${label}:${cmd.label}.params`, cmd.uniforms.byteLength, UNIFORM));
          ctx.write(p.uniform, cmd.uniforms);
        }
      }
      out.push(p);
    }
  }
  return out;
}

/** Records prepared commands into `enc`: dispatches share compute passes; clears and copies go between them. */
export function recordCommands(
  ctx: GpuContext, label: string, enc: GPUCommandEncoder, commands: readonly Prepared[], bufferOf: (a: Alloc) => GPUBuffer,
  timed?: { querySet: GPUQuerySet; labels: string[] },
): void {
  let pass: GPUComputePassEncoder | undefined;
  const endPass = () => { pass?.end(); pass = undefined; };
  for (const p of commands) {
    const c = p.cmd;
    if (c.kind === 'dispatch') {
      const bufs = c.bindings.map(bufferOf);
      if (!p.group || !p.lastBuffers || bufs.some((b, i) => b !== p.lastBuffers![i])) {
        const entries: GPUBindGroupEntry[] = [];
        let binding = 0;
        if (p.uniform) entries.push({ binding: binding++, resource: { buffer: p.uniform } });
        for (const b of bufs) entries.push({ binding: binding++, resource: { buffer: b } });
        p.group = ctx.device.createBindGroup({ label: `${label}:${c.label}`, layout: p.pipeline!.getBindGroupLayout(0), entries });
        p.lastBuffers = bufs;
      }
      if (timed) {
        // Profiling: one pass per dispatch, each with its own pair of timestamps.
        endPass();
        const i = timed.labels.push(`${c.label} [${c.entry}]`) - 1;
        pass = enc.beginComputePass({ label, timestampWrites: { querySet: timed.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
      }
      pass ??= enc.beginComputePass({ label });
      pass.setPipeline(p.pipeline!);
      pass.setBindGroup(0, p.group);
      pass.dispatchWorkgroups(c.workgroups[0], c.workgroups[1], c.workgroups[2]);
      if (timed) endPass();
    } else if (c.kind === 'clear') {
      endPass();
      enc.clearBuffer(bufferOf(c.alloc), c.offset * 4, c.elems * 4);
    } else {
      endPass();
      enc.copyBufferToBuffer(bufferOf(c.src), c.srcOffset * 4, bufferOf(c.dst), c.dstOffset * 4, c.elems * 4);
    }
  }
  endPass();
}

type HostArray = Float32Array | BigInt64Array | Int32Array | Uint32Array | Uint8Array;

function feedToGpu(label: string, name: string, a: Alloc, data: HostArray): Float32Array | Int32Array | Uint32Array {
  if (a.type === 'f32') {
    if (!(data instanceof Float32Array)) throw new SessionError(label, `input '${name}' is float32; got ${data.constructor.name}`);
    return data;
  }
  if (a.type === 'bool') {
    if (!(data instanceof Uint8Array) && !(data instanceof Uint32Array)) throw new SessionError(label, `input '${name}' is bool; got ${data.constructor.name}`);
    return Uint32Array.from(data, (v) => (v ? 1 : 0));
  }
  if (data instanceof Int32Array) return data;
  if (data instanceof BigInt64Array) {
    const out = new Int32Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v > 2147483647n || v < -2147483648n) throw new SessionError(label, `input '${name}': value ${v} at ${i} does not fit the executor's 32-bit integers`);
      out[i] = Number(v);
    }
    return out;
  }
  throw new SessionError(label, `input '${name}' is an integer tensor; got ${data.constructor.name}`);
}

/** Builds a session running `model` with our kernels. */
export async function createExecSession(ctx: GpuContext, model: Uint8Array | Model, options: ExecSessionOptions = {}): Promise<ExecSession> {
  const label = options.label ?? 'exec-session';
  let ir: Model;
  try {
    ir = model instanceof Uint8Array ? decodeModel(model) : model;
  } catch (e) {
    throw new SessionError(label, `could not decode the model: ${(e as Error).message}`);
  }
  const reuse = !!options.reuseOutputBuffers && (options.gpuOutputs ?? true);
  const plan = buildPlan(ir, { ...options, label, dedicatedOutputs: reuse });
  // Every pipeline compiled asynchronously first, so that preparing and running the session never compiles
  // synchronously (a blocking compile stalls the GPU process: see src/gpu/pipelineCache.ts).
  const sh = shaderTexts(ctx);
  const specs = plan.steps.flatMap((s) => s.commands(sh)).flatMap((c) => (c.kind === 'dispatch' ? [{ label: `${label}:${c.label}`, code: c.code, entryPoint: c.entry, constants: c.constants }] : []));
  try {
    await ctx.pipelines.compileAll(specs, options.onCompileProgress);
  } catch (e) {
    throw new SessionError(label, (e as Error).message);
  }
  const maxBinding = ctx.limits.maxStorageBufferBindingSize ?? 134217728;
  const owned: GPUBuffer[] = [];
  const own = (b: GPUBuffer) => (owned.push(b), b);

  // Buffers: constants (uploaded once), session-owned input buffers (for CPU feeds), slots.
  const constBuf = new Map<Alloc, GPUBuffer>();
  const inputBuf = new Map<Alloc, GPUBuffer>();
  const slotBuf: GPUBuffer[] = [];
  const commands: Prepared[] = [];
  await withErrorScope(ctx.device, `${label}: create`, () => {
    for (const a of plan.allocs) {
      if (a.elems * 4 > maxBinding) throw new ExecError(`${label}: tensor '${a.name}' needs ${a.elems * 4} bytes, above maxStorageBufferBindingSize ${maxBinding}`);
      if (a.kind === 'const') constBuf.set(a, own(ctx.upload(`${label}:const:${a.name}`, a.data!, STORAGE)));
      else if (a.kind === 'input') inputBuf.set(a, own(ctx.buffer(`${label}:input:${a.name}`, Math.max(a.elems * 4, 4))));
    }
    plan.slots.forEach((elems, i) => {
      if (elems * 4 > maxBinding) throw new ExecError(`${label}: buffer slot ${i} needs ${elems * 4} bytes, above maxStorageBufferBindingSize ${maxBinding}`);
      slotBuf.push(own(ctx.buffer(`${label}:slot${i}`, Math.max(elems * 4, 4))));
    });
    commands.push(...prepareSteps(ctx, label, plan.steps, own));
  });
  const pipelineCount = new Set(commands.map((c) => c.pipeline).filter(Boolean)).size;

  const inputNames = plan.inputs.map((i) => i.name);
  const outputNames = plan.outputs.map((o) => o.name);
  let released = false;

  function bufferOf(a: Alloc, external: Map<Alloc, GPUBuffer>): GPUBuffer {
    if (a.kind === 'const') return constBuf.get(a)!;
    if (a.kind === 'input') return external.get(a) ?? inputBuf.get(a)!;
    return slotBuf[a.slot!];
  }

  function bindFeeds(feeds: Record<string, SessionFeed>, wanted?: string[]): Map<Alloc, GPUBuffer> {
    if (released) throw new SessionError(label, 'session was released');
    for (const name of inputNames) if (!(name in feeds)) throw new SessionError(label, `missing input '${name}' (model inputs: ${inputNames.join(', ')})`);
    for (const name of Object.keys(feeds)) if (!inputNames.includes(name)) throw new SessionError(label, `unknown input '${name}' (model inputs: ${inputNames.join(', ')})`);
    for (const name of wanted ?? []) if (!outputNames.includes(name)) throw new SessionError(label, `unknown output '${name}' (model outputs: ${outputNames.join(', ')})`);
    const external = new Map<Alloc, GPUBuffer>();
    for (const inp of plan.inputs) {
      const feed = feeds[inp.name];
      if (feed.dims.length !== inp.dims.length || feed.dims.some((d, i) => d !== inp.dims[i])) {
        throw new SessionError(label, `input '${inp.name}' has dims [${feed.dims}]; this session was built for [${inp.dims}]`);
      }
      if ('gpuBuffer' in feed) {
        const ok = inp.alloc.type === 'f32' ? feed.dtype === 'float32' : inp.alloc.type === 'i32' ? feed.dtype === 'int32' : feed.dtype === 'uint32';
        if (!ok) throw new SessionError(label, `input '${inp.name}' (${inp.dtype}) needs a GPU feed of ${inp.alloc.type === 'f32' ? 'float32' : inp.alloc.type === 'i32' ? 'int32' : 'uint32 (0/1)'}, got ${feed.dtype}`);
        if (feed.gpuBuffer.size < inp.alloc.elems * 4) throw new SessionError(label, `input '${inp.name}': GPU buffer of ${feed.gpuBuffer.size} bytes is smaller than ${inp.alloc.elems * 4}`);
        external.set(inp.alloc, feed.gpuBuffer);
      } else {
        if (feed.data.length !== inp.alloc.elems) throw new SessionError(label, `input '${inp.name}' has ${feed.data.length} values, dims need ${inp.alloc.elems}`);
        if (inp.alloc.elems) ctx.write(inputBuf.get(inp.alloc)!, feedToGpu(label, inp.name, inp.alloc, feed.data));
      }
    }
    return external;
  }

  async function profile(feeds: Record<string, SessionFeed>): Promise<{ label: string; ns: number }[]> {
    if (!ctx.hasTimestamps) throw new SessionError(label, "profile needs the adapter's 'timestamp-query'");
    const external = bindFeeds(feeds);
    const n = commands.filter((c) => c.cmd.kind === 'dispatch').length;
    const querySet = ctx.device.createQuerySet({ label: `${label}.profile`, type: 'timestamp', count: Math.max(2, 2 * n) });
    const resolve = ctx.device.createBuffer({ label: `${label}.profile.resolve`, size: Math.max(16, 16 * n), usage: 0x0200 | 0x0004 });
    const read = ctx.device.createBuffer({ label: `${label}.profile.read`, size: Math.max(16, 16 * n), usage: 0x0001 | 0x0008 });
    const labels: string[] = [];
    try {
      await ctx.run(`${label}.profile`, (rec) => {
        rec.endPass();
        recordCommands(ctx, label, rec.encoder, commands, (a) => bufferOf(a, external), { querySet, labels });
        if (labels.length) {
          rec.encoder.resolveQuerySet(querySet, 0, 2 * labels.length, resolve, 0);
          rec.encoder.copyBufferToBuffer(resolve, 0, read, 0, 16 * labels.length);
        }
      });
      await read.mapAsync(0x0001);
      const t = new BigUint64Array(read.getMappedRange().slice(0));
      return labels.map((l, i) => ({ label: l, ns: Number(t[2 * i + 1] - t[2 * i]) }));
    } finally {
      querySet.destroy();
      resolve.destroy();
      read.destroy();
    }
  }

  async function run(feeds: Record<string, SessionFeed>, wanted?: string[]): Promise<Record<string, SessionOutput>> {
    const external = bindFeeds(feeds, wanted);
    const outs = plan.outputs.filter((o) => !wanted || wanted.includes(o.name));
    const gpuOut = new Map<string, GPUBuffer>();
    await ctx.run(label, (rec) => {
      rec.endPass();
      const enc = rec.encoder;
      recordCommands(ctx, label, enc, commands, (a) => bufferOf(a, external));
      for (const o of outs) {
        if (reuse) continue;
        const n = numelOf(o.dims);
        const dst = ctx.buffer(`${label}:output:${o.name}`, Math.max(n * 4, 4));
        gpuOut.set(o.name, dst);
        if (n) enc.copyBufferToBuffer(bufferOf(o.val.alloc, external), o.val.view.offset * 4, dst, 0, n * 4);
      }
    });
    const result: Record<string, SessionOutput> = {};
    const toGpu = options.gpuOutputs ?? true;
    for (const o of outs) {
      const buf = reuse ? bufferOf(o.val.alloc, external) : gpuOut.get(o.name)!;
      const n = numelOf(o.dims);
      const type = o.val.alloc.type;
      if (toGpu) {
        result[o.name] = {
          name: o.name, dims: [...o.dims], dtype: type === 'f32' ? 'float32' : type === 'i32' ? 'int32' : 'uint32',
          gpuBuffer: buf, dispose: reuse ? () => undefined : () => ctx.release(buf),
        };
        continue;
      }
      let data: HostArray;
      if (type === 'f32') data = n ? await ctx.readF32(buf, n) : new Float32Array(0);
      else {
        const u = n ? await ctx.readU32(buf, n) : new Uint32Array(0);
        if (type === 'bool') data = Uint8Array.from(u, (v) => (v ? 1 : 0));
        else if (o.dtype === 'int64') data = BigInt64Array.from(new Int32Array(u.buffer, u.byteOffset, n), (v) => BigInt(v));
        else data = new Int32Array(u.buffer, u.byteOffset, n);
      }
      ctx.release(buf);
      result[o.name] = { name: o.name, dims: [...o.dims], dtype: o.dtype, data, dispose: () => undefined };
    }
    return result;
  }

  return {
    label,
    backend: 'exec' as SessionBackend,
    engine: 'exec',
    plan,
    inputNames,
    outputNames,
    commandCount: commands.length,
    pipelineCount,
    run,
    profile,
    async release() {
      if (released) return;
      released = true;
      await ctx.finish();
      ctx.release(...owned);
    },
  };
}
