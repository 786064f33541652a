/** Class names and the probabilities the playground shows (host math on read-back embeddings; no GPU). */
import { checkName } from '../../experiment';

/** The key of a class list (names joined by a separator no name contains). */
export const classesKey = (names: readonly string[]) => names.join('\u0001');

/** Class names typed by the user: one per line or comma-separated. Returns the names or why they are refused. */
export function parseClassNames(text: string): { names: string[] } | { error: string } {
  const names = [...new Set(text.split(/[\n,;]/).map((s) => s.trim().replace(/\s+/g, ' ')).filter(Boolean))];
  if (names.length < 2) return { error: 'type at least two class names (one per line or comma-separated)' };
  if (names.length > 200) return { error: `${names.length} classes: at most 200` };
  for (const n of names) {
    if (n.length > 60) return { error: `“${n.slice(0, 20)}…” is longer than 60 characters` };
    const bad = checkName(n);
    if (bad) return { error: `“${n}” ${bad}` };
  }
  return { names };
}

export function normalizeRows(x: Float32Array | Float64Array, rows: number, d: number): Float32Array {
  const out = new Float32Array(rows * d);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i * d + k] ** 2;
    const r = 1 / Math.max(Math.sqrt(s), 1e-12);
    for (let k = 0; k < d; k++) out[i * d + k] = x[i * d + k] * r;
  }
  return out;
}

/** Softmax of s · cos(image, class) for each row of `embeds` [B, D]. */
export function probabilities(embeds: Float32Array, texts: Float32Array, classes: number, dim: number, scale: number): Float32Array {
  const B = embeds.length / dim, out = new Float32Array(B * classes);
  const u = normalizeRows(embeds, B, dim);
  for (let b = 0; b < B; b++) {
    let max = -Infinity;
    const logits = new Float64Array(classes);
    for (let k = 0; k < classes; k++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += u[b * dim + d] * texts[k * dim + d];
      logits[k] = scale * s;
      max = Math.max(max, logits[k]);
    }
    let z = 0;
    for (let k = 0; k < classes; k++) z += (logits[k] = Math.exp(logits[k] - max));
    for (let k = 0; k < classes; k++) out[b * classes + k] = logits[k] / z;
  }
  return out;
}

export function argmax(p: ArrayLike<number>, offset = 0, n = p.length): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (p[offset + k] > p[offset + best]) best = k;
  return best;
}

/**
 * How far a point is past the attack's goal, from its probabilities: untargeted, the best other class's probability
 * minus the attacked class's; targeted, the target's minus the best other class's. Positive: the goal is reached.
 * A stopped attack keeps the point with the highest score, so a point that already flipped the class always wins
 * over one that merely lowered the attacked class's probability further without flipping it.
 */
export function goalScore(probs: ArrayLike<number>, trueClass: number, target: number | null, offset = 0, n = probs.length - offset): number {
  const goal = target ?? trueClass;
  let other = -Infinity;
  for (let k = 0; k < n; k++) if (k !== goal) other = Math.max(other, probs[offset + k]);
  const p = probs[offset + goal];
  return target === null ? other - p : p - other;
}
