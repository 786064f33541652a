// Fills a buffer with draws of shaders/random.wgsl (prepended when registered as 'random'): the kernel behind the
// random self-checks, and a way to make seeded noise on the GPU. Output is raw u32 words; the float entry points
// store f32 bit patterns so one binding serves all three.

struct Params {
  count: u32,
  seed: u32,
  stream: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;

const FILL_WG = 256u;

@compute @workgroup_size(FILL_WG)
fn fillU32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  for (var i = gid.x; i < p.count; i = i + nwg.x * FILL_WG) {
    out[i] = randU32(p.seed, p.stream, i);
  }
}

@compute @workgroup_size(FILL_WG)
fn fillUniform(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  for (var i = gid.x; i < p.count; i = i + nwg.x * FILL_WG) {
    out[i] = bitcast<u32>(randUniform(p.seed, p.stream, i));
  }
}

@compute @workgroup_size(FILL_WG)
fn fillNormal(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  for (var i = gid.x; i < p.count; i = i + nwg.x * FILL_WG) {
    out[i] = bitcast<u32>(randNormal(p.seed, p.stream, i));
  }
}
