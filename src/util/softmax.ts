/** Float64 row-wise softmax (the CPU side of the softmax losses: cross-entropy, KL). */

/** Row-wise softmax and log-softmax of [n, C]. */
export function softmaxRows(z: ArrayLike<number>, n: number, C: number): { p: Float64Array; logp: Float64Array } {
  const p = new Float64Array(n * C), logp = new Float64Array(n * C);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, z[i * C + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(z[i * C + c] - max);
    const lse = max + Math.log(s);
    for (let c = 0; c < C; c++) {
      logp[i * C + c] = z[i * C + c] - lse;
      p[i * C + c] = Math.exp(logp[i * C + c]);
    }
  }
  return { p, logp };
}
