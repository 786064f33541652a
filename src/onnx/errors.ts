/**
 * A graph no valid model has: a cycle, an input nothing provides, an impossible shape (bad perm, broadcast
 * mismatch, negative or huge dims). Loaders refuse such a file up front instead of failing later.
 */
export class GraphError extends Error {
  override name = 'GraphError';
}
