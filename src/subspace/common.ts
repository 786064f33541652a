/** Shared host-side helpers of the subspace kernels. */

/** Largest number of vectors per group the subspace kernels handle (their small matrices live in workgroup memory). */
export const SUBSPACE_MAX_ROWS = 32;

/** Workgroup grid with one workgroup per item: x ≤ 65535, y as needed (kernels use wid.x + wid.y·num_workgroups.x). */
export function itemWorkgroups(count: number): [number, number] {
  if (count === 0) return [0, 1];
  const x = Math.min(count, 65535);
  return [x, Math.ceil(count / x)];
}

export function checkCount(kernel: string, name: string, v: number, max = Infinity, min = 0): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${kernel}: ${name} must be an integer in [${min}, ${max}], got ${v}`);
  }
}

export function checkLength(kernel: string, name: string, a: ArrayLike<number>, want: number): void {
  if (a.length !== want) throw new RangeError(`${kernel}: ${name} has ${a.length} elements, expected ${want}`);
}
