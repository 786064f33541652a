/**
 * The playground's GPU job queue: sessions and attack models hold their own buffers, so two jobs must not interleave
 * (one queue per playground: ./state.ts).
 */

/** Runs GPU work one job at a time, in order. */
export type JobQueue = <T>(job: () => Promise<T>) => Promise<T>;

export function createJobQueue(): JobQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(job: () => Promise<T>): Promise<T> => {
    const p = tail.then(job, job);
    tail = p.catch(() => undefined);
    return p;
  };
}
