/** The Subspaces panel's engine, loaded on first use (it brings the methods, the autodiff and the model loader). */
const engine = () => import('./geometry');

export async function measureCurrentModel(): Promise<void> {
  return (await engine()).measureCurrentModel();
}
