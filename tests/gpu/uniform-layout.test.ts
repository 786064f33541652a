/**
 * Uniform layouts are declared once, in WGSL: every `UniformWriter` sequence is checked at dispatch against the
 * struct the shader binds at @binding(0) (src/gpu/uniformLayout.ts). Here: the parser reads every shader of the
 * project, and a dispatch whose uniforms miss a field or write one of the wrong kind is refused, naming the shader.
 */
import { describe, expect, it } from 'vitest';
import { UniformWriter } from '../../src/gpu/uniforms';
import { uniformStructKinds } from '../../src/gpu/uniformLayout';
import { shaderSources } from '../../src/kernels/shaders';
import { withGpu } from '../helpers/gpu';

describe('uniform layouts checked against the WGSL', () => {
  it('reads the uniform struct of every shader that binds one', () => {
    const unchecked: string[] = [];
    for (const [name, code] of Object.entries(shaderSources)) {
      const kinds = uniformStructKinds(code);
      const binds = /var<uniform>/.test(code);
      if (binds && !kinds) unchecked.push(name);
      if (kinds) expect(Array.isArray(kinds) ? kinds.length : kinds.words, name).toBeGreaterThan(0);
    }
    // Shaders with a uniform struct the parser cannot read would escape the check: none may.
    expect(unchecked).toEqual([]);
    expect(uniformStructKinds('struct P { a: u32, b: f32, }\n@group(0) @binding(0) var<uniform> p: P;')).toEqual(['u32', 'f32']);
    expect(uniformStructKinds('struct P { a: vec4<f32> }\n@group(0) @binding(0) var<uniform> p: P;')).toBeNull();
    expect(uniformStructKinds('struct P { v: array<vec4<u32>, 9> }\n@group(0) @binding(0) var<uniform> p: P;')).toEqual({ words: 36 });
  });

  it('refuses a dispatch whose uniforms miss a field or write the wrong kind, naming the shader', async () => {
    await withGpu(async (ctx) => {
      const x = ctx.buffer('x', 64), y = ctx.buffer('y', 64), n = ctx.buffer('n', 16);
      const dispatch = (uniforms: Uint8Array<ArrayBuffer>) => ctx.run('uniform-check', (rec) => rec.dispatch({ shader: 'normalize', entryPoint: 'forward', label: 'normalize.bad', uniforms, buffers: [x, y, n], workgroups: [1] }));
      await expect(dispatch(new UniformWriter().u32(4).u32(4).bytes())).rejects.toThrow(/normalize\.bad: the uniforms written \(u32, u32\) do not match shader 'normalize' \(forward\)'s uniform struct \(u32, u32, f32\)/);
      await expect(dispatch(new UniformWriter().u32(4).u32(4).u32(1).bytes())).rejects.toThrow(/do not match/);
      await dispatch(new UniformWriter().u32(4).u32(4).f32(1e-12).bytes());
      ctx.release(x, y, n);
    });
  });
});
