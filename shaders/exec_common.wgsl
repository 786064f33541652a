// Helpers prepended to the executor's generated element-wise and reduction kernels (src/onnx/exec/elementwise.ts,
// reduce.ts). WGSL has no erf, leaves pow undefined for negative bases, and software adapters' tanh can overflow for
// large |x|: these fill the gaps. Everything is plain f32 arithmetic (no workgroup memory).

// Non-finite constants (NaN, ±inf) cannot be WGSL const-expressions: built through a function call instead.
fn ex_f32bits(u: u32) -> f32 {
  return bitcast<f32>(u);
}

// erf: Maclaurin series for |x| < 0.5 (truncation < 1e-9), Abramowitz & Stegun 7.1.26 beyond (|error| < 1.5e-7).
fn ex_erf(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.5) {
    let z = x * x;
    // 2/sqrt(pi) * (x - x^3/3 + x^5/10 - x^7/42 + x^9/216 - x^11/1320)
    let s = 1.0 + z * (-0.333333333 + z * (0.1 + z * (-0.0238095238 + z * (0.00462962963 + z * -0.000757575758))));
    return 1.1283791671 * x * s;
  }
  if (a >= 4.0) { return sign(x); }
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(x) * (1.0 - poly * exp(-a * a));
}

fn ex_tanh(x: f32) -> f32 {
  if (abs(x) > 9.0) { return sign(x); }
  return tanh(x);
}

fn ex_sigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}

// pow with the C/numpy meaning for negative bases and integral exponents, and pow(x, 0) = 1.
fn ex_pow(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (y == 1.0) { return x; }
  if (y == 2.0) { return x * x; }
  if (x < 0.0) {
    if (y != floor(y)) { return ex_f32bits(0x7fc00000u); }
    let r = pow(-x, y);
    if (fract(y * 0.5) != 0.0) { return -r; }
    return r;
  }
  if (x == 0.0) {
    if (y > 0.0) { return 0.0; }
    return ex_f32bits(0x7f800000u);
  }
  return pow(x, y);
}

fn ex_ipow(x: i32, y: i32) -> i32 {
  var r: i32 = 1;
  var b: i32 = x;
  var e: i32 = y;
  if (e < 0) { return 0; }
  loop {
    if (e == 0) { break; }
    if ((e & 1) != 0) { r = r * b; }
    b = b * b;
    e = e >> 1u;
  }
  return r;
}

// Integer modulo with the divisor's sign (ONNX Mod, fmod = 0); 0 for a zero divisor.
fn ex_imod(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  var r: i32 = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) { r = r + b; }
  return r;
}

fn ex_idiv(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  return a / b;
}

fn ex_isinf(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u;
}

fn ex_isnan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

// Round half to even (ONNX Round), independent of the adapter's round().
fn ex_round(x: f32) -> f32 {
  let f = floor(x);
  let d = x - f;
  if (d > 0.5) { return f + 1.0; }
  if (d < 0.5) { return f; }
  if (fract(f * 0.5) == 0.0) { return f; }
  return f + 1.0;
}

fn ex_softplus(x: f32) -> f32 {
  if (x > 20.0) { return x; }
  return log(1.0 + exp(x));
}

// sin / cos with our own accuracy (WGSL promises only 2^-11 absolute and SwiftShader uses that latitude): Cody-Waite
// reduction by pi/2 in three parts with few significant bits each (cephes' constants: k·part is exact for |k| < 2^13,
// and no fused multiply-add is needed — software adapters may not fuse), then Taylor polynomials on [-pi/4, pi/4]
// (truncation < 3e-8); the quadrant picks sin or cos and the sign. Within ~1e-7 of 1 while |x| < ~1e4.
fn ex_sincos_q(x: f32, shift: i32) -> f32 {
  let k = round(x * 0.636619772);
  let r = ((x - k * 1.5703125) - k * 4.837512969970703125e-4) - k * 7.54978995489188216e-8;
  let q = (i32(k) + shift) & 3;
  let z = r * r;
  var v: f32 = 0.0;
  if ((q & 1) == 0) {
    v = r + r * z * (-0.166666667 + z * (0.00833333333 + z * (-0.000198412698 + z * 0.00000275573192)));
  } else {
    v = 1.0 + z * (-0.5 + z * (0.0416666667 + z * (-0.00138888889 + z * (0.0000248015873 + z * -0.000000275573192))));
  }
  if (q >= 2) { v = -v; }
  return v;
}

fn ex_sin(x: f32) -> f32 {
  return ex_sincos_q(x, 0);
}

fn ex_cos(x: f32) -> f32 {
  return ex_sincos_q(x, 1);
}
