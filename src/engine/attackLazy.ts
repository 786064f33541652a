/**
 * The attack playground's engine loaded on first use (it brings the attacks, the autodiff and the model loader,
 * which the other panels do not need at start). Components call these and read src/state/attack.ts.
 */
import type { AttackEngineKind } from '../state/attack';
import type { PlaygroundRequest } from './attack';

const engine = () => import('./attack');

export type { PlaygroundRequest };

export async function preparePlayground(req: PlaygroundRequest): Promise<void> {
  return (await engine()).preparePlayground(req);
}

export async function selectTestImage(index: number): Promise<void> {
  return (await engine()).selectTestImage(index);
}

export async function selectImageFile(file: File): Promise<void> {
  return (await engine()).selectImageFile(file);
}

export async function setCustomClasses(text: string | null): Promise<void> {
  return (await engine()).setCustomClasses(text);
}

export async function setBatchOptions(o: { size?: number; from?: number }): Promise<void> {
  (await engine()).setBatchOptions(o);
}

export async function setTrueClass(k: number): Promise<void> {
  (await engine()).setTrueClass(k);
}

export async function setAttackEngine(kind: AttackEngineKind, req: PlaygroundRequest): Promise<void> {
  return (await engine()).setEngine(kind, req);
}

export async function runSingleAttack(): Promise<void> {
  return (await engine()).runSingleAttack();
}

export async function runBatchAttack(): Promise<void> {
  return (await engine()).runBatchAttack();
}

export async function stopAttack(which: 'single' | 'batch' | 'both' = 'both'): Promise<void> {
  (await engine()).stopAttack(which);
}

export async function adversarialPng(): Promise<{ blob: Blob; name: string } | null> {
  return (await engine()).adversarialPng();
}

export async function parseClassNames(text: string): Promise<{ names: string[] } | { error: string }> {
  return (await engine()).parseClassNames(text);
}

export async function refreshCompareRuns(): Promise<void> {
  return (await engine()).refreshCompareRuns();
}

export async function selectCompareRun(id: string | null): Promise<void> {
  return (await engine()).selectCompareRun(id);
}

export async function runCompareAttack(): Promise<void> {
  return (await engine()).runCompareAttack();
}
