/**
 * Fusion over the lowered steps: chains of element-wise steps into one generated kernel, and a MatMul's single
 * bias/residual Add into its epilogue. Allocations in `kept` (graph outputs) are never fused away.
 */
import { compactOperands as compact, EwStep, MAX_EW_BINDINGS, MAX_EW_OPERANDS, sameView, substitute } from './elementwise';
import { MatmulStep } from './steps';
import type { Alloc, Step, Val } from './types';
import { contiguousView, isContiguous, numelOf, reshapeView } from './view';

function readersOf(steps: Step[]): Map<Alloc, Step[]> {
  const m = new Map<Alloc, Step[]>();
  for (const s of steps) for (const a of s.reads()) {
    let l = m.get(a);
    if (!l) m.set(a, (l = []));
    if (!l.includes(s)) l.push(s);
  }
  return m;
}

function writersOf(steps: Step[]): Map<Alloc, Step[]> {
  const m = new Map<Alloc, Step[]>();
  for (const s of steps) for (const a of s.writes()) {
    let l = m.get(a);
    if (!l) m.set(a, (l = []));
    if (!l.includes(s)) l.push(s);
  }
  return m;
}

/** Element-wise producer → consumer fusion (the producer's result lives only in the consumer's registers). */
export function fuseElementwise(steps: Step[], kept: Set<Alloc>): Step[] {
  let list = steps;
  for (let changed = true; changed;) {
    changed = false;
    const readers = readersOf(list), writers = writersOf(list);
    for (let si = list.length - 1; si >= 0 && !changed; si--) {
      const C = list[si];
      if (!(C instanceof EwStep)) continue;
      for (const opnd of C.operands) {
        const A = opnd.alloc;
        if (A.kind !== 'temp' || kept.has(A)) continue;
        const w = writers.get(A) ?? [];
        const r = readers.get(A) ?? [];
        if (w.length !== 1 || r.length !== 1 || r[0] !== C) continue;
        const P = w[0];
        if (!(P instanceof EwStep) || P.out.view.offset !== 0 || !isContiguous(P.out.view) || numelOf(P.out.view.dims) !== A.elems) continue;
        const cd = C.out.view.dims;
        if (numelOf(cd) !== A.elems) continue;
        const readsA = C.operands.map((o, i) => (o.alloc === A ? i : -1)).filter((i) => i >= 0);
        const full = contiguousView(cd);
        if (!readsA.every((i) => sameView({ ...C.operands[i].view, strides: C.operands[i].view.strides.map((s, k) => (cd[k] === 1 ? full.strides[k] : s)) }, full))) continue;
        const pOps: Val[] = [];
        let ok = true;
        for (const po of P.operands) {
          const rv = reshapeView(po.view, cd);
          if (!rv) { ok = false; break; }
          pOps.push({ alloc: po.alloc, view: rv });
        }
        if (!ok) continue;
        // Merge: C's operands, then P's; C's references to A become P's expression.
        const base = C.operands.length;
        const pExpr = substitute(P.expr, (i) => ({ k: 'in', i: base + i }));
        const merged = compact(substitute(C.expr, (i) => (readsA.includes(i) ? pExpr : { k: 'in', i })), [...C.operands, ...pOps]);
        if (merged.operands.length > MAX_EW_OPERANDS || new Set(merged.operands.map((o) => o.alloc)).size > MAX_EW_BINDINGS) continue;
        const fused = new EwStep(`${P.label} + ${C.label}`, merged.expr, merged.operands, C.out);
        list = list.filter((s) => s !== P).map((s) => (s === C ? fused : s));
        changed = true;
        break;
      }
    }
  }
  return list;
}

/** MatMul (no addend) → single element-wise Add of a broadcast tensor: the Add becomes the matmul's epilogue. */
export function fuseMatmulAdd(steps: Step[], kept: Set<Alloc>): Step[] {
  let list = steps;
  const readers = readersOf(list), writers = writersOf(list);
  for (const C of [...list]) {
    if (!(C instanceof EwStep) || C.expr.k !== 'op' || C.expr.op !== 'Add' || C.out.alloc.type !== 'f32') continue;
    const args = C.expr.args;
    if (args.length !== 2 || args.some((a) => a.k !== 'in')) continue;
    for (let side = 0; side < 2; side++) {
      const mmOp: Val = C.operands[(args[side] as { i: number }).i];
      const other: Val = C.operands[(args[1 - side] as { i: number }).i];
      const A: Alloc = mmOp.alloc;
      if (A.kind !== 'temp' || kept.has(A) || other.alloc === A) continue;
      const w: Step[] = writers.get(A) ?? [], r: Step[] = readers.get(A) ?? [];
      if (w.length !== 1 || r.length !== 1 || r[0] !== C) continue;
      const P = w[0];
      if (!(P instanceof MatmulStep) || P.c) continue;
      if (!isContiguous(mmOp.view) || mmOp.view.offset !== 0 || numelOf(mmOp.view.dims) !== A.elems) continue;
      if (C.out.view.offset !== 0 || !isContiguous(C.out.view) || numelOf(C.out.view.dims) !== A.elems) continue;
      // The addend as a view over the matmul's [batch…, M, N] dims.
      const cv = reshapeView(other.view, P.out.view.dims);
      if (!cv) continue;
      const fused = new MatmulStep(`${P.label} + ${C.label}`, P.a, P.b, { alloc: C.out.alloc, view: contiguousView(P.out.view.dims) },
        { alloc: other.alloc, view: cv }, P.alpha, 1);
      list = list.filter((s) => s !== C).map((s) => (s === P ? fused : s));
      break;
    }
  }
  return list;
}
