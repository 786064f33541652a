/**
 * The attack playground's commands, run by the engine Worker (src/engine/bridge); the Attack panel reads
 * src/state/attack.ts, which the Worker's writes reach through the shared stores.
 */
import type { AttackEngineKind } from '../../state/attack';
import type { PlaygroundRequest } from '../attack';
import { engine } from '../bridge/client';

export type { PlaygroundRequest };

export const preparePlayground = (req: PlaygroundRequest): Promise<void> => engine().preparePlayground(req);
export const selectTestImage = (index: number): Promise<void> => engine().selectTestImage(index);
export const selectImageFile = (file: File): Promise<void> => engine().selectImageFile(file);
export const setCustomClasses = (text: string | null): Promise<void> => engine().setCustomClasses(text);
export const setBatchOptions = (o: { size?: number; from?: number }): Promise<void> => engine().setBatchOptions(o);
export const setTrueClass = (k: number): Promise<void> => engine().setTrueClass(k);
export const setAttackEngine = (kind: AttackEngineKind, req: PlaygroundRequest): Promise<void> => engine().setAttackEngine(kind, req);
export const runSingleAttack = (): Promise<void> => engine().runSingleAttack();
export const runBatchAttack = (): Promise<void> => engine().runBatchAttack();
export const stopAttack = (which: 'single' | 'batch' | 'both' = 'both'): Promise<void> => engine().stopAttack(which);
export const adversarialPng = (): Promise<{ blob: Blob; name: string } | null> => engine().adversarialPng();
export const parseClassNames = (text: string): Promise<{ names: string[] } | { error: string }> => engine().parseClassNames(text);
export const refreshCompareRuns = (): Promise<void> => engine().refreshCompareRuns();
export const selectCompareRun = (id: string | null): Promise<void> => engine().selectCompareRun(id);
export const runCompareAttack = (): Promise<void> => engine().runCompareAttack();
export const runCompareBatchAttack = (): Promise<void> => engine().runCompareBatchAttack();
export const stopCompareBatchAttack = (): Promise<void> => engine().stopCompareBatchAttack();
