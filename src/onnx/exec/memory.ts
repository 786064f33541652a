/** The memory plan: liveness-based reuse of buffer slots by temporaries (graph outputs are kept). */
import type { Alloc, Step } from './types';

export function planMemory(steps: Step[], allocs: Alloc[], kept: Set<Alloc>): { slots: number[]; naive: number; planned: number; kept: number } {
  const first = new Map<Alloc, number>(), last = new Map<Alloc, number>();
  steps.forEach((s, i) => {
    for (const a of s.writes()) {
      if (!first.has(a)) first.set(a, i);
      last.set(a, Math.max(last.get(a) ?? i, i));
    }
    for (const a of s.reads()) last.set(a, Math.max(last.get(a) ?? i, i));
  });
  const temps = allocs.filter((a) => a.kind === 'temp' && first.has(a));
  const byStart = new Map<number, Alloc[]>(), byEnd = new Map<number, Alloc[]>();
  for (const a of temps) {
    const s = first.get(a)!;
    (byStart.get(s) ?? byStart.set(s, []).get(s)!).push(a);
    if (!kept.has(a)) {
      const e = last.get(a)!;
      (byEnd.get(e) ?? byEnd.set(e, []).get(e)!).push(a);
    }
  }
  const slots: number[] = [];
  const free = new Set<number>();
  let naive = 0, keptElems = 0;
  for (let i = 0; i < steps.length; i++) {
    for (const a of byStart.get(i) ?? []) {
      naive += a.elems;
      if (kept.has(a)) {
        // Graph outputs keep a slot of their own.
        a.slot = slots.push(Math.max(a.elems, 1)) - 1;
        keptElems += a.elems;
        continue;
      }
      let best = -1;
      for (const s of free) if (slots[s] >= a.elems && (best < 0 || slots[s] < slots[best])) best = s;
      if (best < 0) for (const s of free) if (best < 0 || slots[s] > slots[best]) best = s;
      if (best < 0) best = slots.push(0) - 1;
      slots[best] = Math.max(slots[best], a.elems, 1);
      free.delete(best);
      a.slot = best;
    }
    for (const a of byEnd.get(i) ?? []) free.add(a.slot!);
  }
  return { slots, naive, planned: slots.reduce((x, y) => x + y, 0), kept: keptElems };
}

// ---------------------------------------------------------------------------------------------------------------
