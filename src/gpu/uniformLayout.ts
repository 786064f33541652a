/**
 * The uniform struct a WGSL kernel declares at @group(0) @binding(0), as its list of 4-byte scalar kinds, so the
 * host's `UniformWriter` sequence can be checked against the shader itself at every dispatch (the layout is written
 * once, in WGSL; a host that writes fields in another order, of another kind, or too few or too many fails loudly
 * instead of reading garbage). Structs with non-scalar members are not checked (null).
 */
export type UniformKind = 'u32' | 'i32' | 'f32';

/**
 * A uniform struct as the host must write it: scalar fields in order, or (the executor's kernels) one packed array of
 * `words` 4-byte words whose meaning the op's lowering defines — any kinds, at most that many.
 */
export type UniformLayout = UniformKind[] | { words: number };

/** Whether `written` fits `layout` (the same kinds in order; or no more words than the packed array holds). */
export function uniformsFit(layout: UniformLayout, written: readonly UniformKind[]): boolean {
  if (!Array.isArray(layout)) return written.length <= layout.words;
  return layout.length === written.length && layout.every((k, i) => k === written[i]);
}

/** The layout of the struct bound as `var<uniform>` at group 0, binding 0; null when there is none or it is neither form. */
export function uniformStructKinds(wgsl: string): UniformLayout | null {
  const code = wgsl.replace(/\/\/[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
  const decl = /@group\(\s*0\s*\)\s*@binding\(\s*0\s*\)\s*var<uniform>\s*\w+\s*:\s*(\w+)\s*;/.exec(code)
    ?? /@binding\(\s*0\s*\)\s*@group\(\s*0\s*\)\s*var<uniform>\s*\w+\s*:\s*(\w+)\s*;/.exec(code);
  if (!decl) return null;
  const body = new RegExp(`struct\\s+${decl[1]}\\s*\\{([^}]*)\\}`).exec(code);
  if (!body) return null;
  const packed = /^\s*\w+\s*:\s*array<vec4<u32>\s*,\s*(\d+)\s*>\s*,?\s*$/.exec(body[1]);
  if (packed) return { words: 4 * Number(packed[1]) };
  const kinds: UniformKind[] = [];
  // Fields split at the commas outside <…> (array<vec4<f32>, 64> is one field).
  const fields: string[] = [];
  let depth = 0, cur = '';
  for (const ch of body[1]) {
    if (ch === '<') depth++;
    if (ch === '>') depth--;
    if (ch === ',' && depth === 0) { fields.push(cur.trim()); cur = ''; } else cur += ch;
  }
  fields.push(cur.trim());
  for (const field of fields.filter(Boolean)) {
    const scalar = /^(?:@\w+(?:\([^)]*\))?\s*)*\w+\s*:\s*(u32|i32|f32)$/.exec(field);
    const vecs = /^\w+\s*:\s*array<vec4<(u32|i32|f32)>\s*,\s*(\d+)\s*>$/.exec(field);
    if (scalar) kinds.push(scalar[1] as UniformKind);
    else if (vecs) for (let i = 0; i < 4 * Number(vecs[2]); i++) kinds.push(vecs[1] as UniformKind);
    else return null;
  }
  return kinds;
}
