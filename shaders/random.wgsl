// Counter-based random numbers, prepended to the kernels that need them (see src/kernels/shaders.ts).
// Every draw is a pure function of (seed, stream, index), so any invocation can make any draw in any order and
// the CPU references in src/kernels/random.ts reproduce the same u32s bit for bit (floats to rounding).
// No entry points or bindings here: this text is shared by several modules.

// PCG output hash of one u32: a WGSL copy of hashU32 in src/util/random.ts (u32 arithmetic wraps like Math.imul).
fn hashU32(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

// Draw `index` of stream `stream` under `seed`. hashU32 is a bijection, so the draws of one (seed, stream) never
// repeat within 2^32 indices; hashing the index before mixing keeps neighbouring streams from being shifted
// copies of each other.
fn randU32(seed: u32, stream: u32, index: u32) -> u32 {
  let key = hashU32(seed ^ hashU32(stream));
  return hashU32(key ^ hashU32(index));
}

// Uniform in [0, 1): the top 24 bits, so the f32 is exact and equals the CPU value exactly.
fn randUniform(seed: u32, stream: u32, index: u32) -> f32 {
  return f32(randU32(seed, stream, index) >> 8u) * (1.0 / 16777216.0);
}

// Uniform in (0, 1]: for log() and pow() arguments, which must not be 0.
fn randUniformOpen(seed: u32, stream: u32, index: u32) -> f32 {
  return (f32(randU32(seed, stream, index) >> 8u) + 1.0) * (1.0 / 16777216.0);
}

// Standard normal by Box-Muller from draws 2*index and 2*index + 1 (so index < 2^31 per stream). The angle is
// taken in [-pi, pi), where cos() is most accurate on every backend.
fn randNormal(seed: u32, stream: u32, index: u32) -> f32 {
  let u1 = randUniformOpen(seed, stream, 2u * index);
  let u2 = randUniform(seed, stream, 2u * index + 1u);
  let r = sqrt(-2.0 * log(u1));
  return r * cos(6.283185307179586 * u2 - 3.141592653589793);
}
