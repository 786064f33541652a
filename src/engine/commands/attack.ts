/**
 * The attack playground's commands, run by the engine Worker (src/engine/bridge); the Attack panel reads
 * src/state/attack.ts, which the Worker's writes reach through the shared stores.
 */
import type { AttackEngineKind } from '../../state/attack';
import type { PlaygroundRequest } from '../attack';
import type { EngineConnection } from '../bridge/client';

export type { PlaygroundRequest };

export type AttackCommands = ReturnType<typeof attackCommands>;

export function attackCommands({ engine }: EngineConnection) {
  return {
    preparePlayground: (req: PlaygroundRequest): Promise<void> => engine().preparePlayground(req),
    selectTestImage: (index: number): Promise<void> => engine().selectTestImage(index),
    selectImageFile: (file: File): Promise<void> => engine().selectImageFile(file),
    setCustomClasses: (text: string | null): Promise<void> => engine().setCustomClasses(text),
    setBatchOptions: (o: { size?: number; from?: number }): Promise<void> => engine().setBatchOptions(o),
    setTrueClass: (k: number): Promise<void> => engine().setTrueClass(k),
    setAttackEngine: (kind: AttackEngineKind, req: PlaygroundRequest): Promise<void> => engine().setAttackEngine(kind, req),
    runSingleAttack: (): Promise<void> => engine().runSingleAttack(),
    runBatchAttack: (): Promise<void> => engine().runBatchAttack(),
    stopAttack: (which: 'single' | 'batch' | 'both' = 'both'): Promise<void> => engine().stopAttack(which),
    adversarialPng: (): Promise<{ blob: Blob; name: string } | null> => engine().adversarialPng(),
    parseClassNames: (text: string): Promise<{ names: string[] } | { error: string }> => engine().parseClassNames(text),
    refreshCompareRuns: (): Promise<void> => engine().refreshCompareRuns(),
    selectCompareRun: (id: string | null): Promise<void> => engine().selectCompareRun(id),
    runCompareAttack: (): Promise<void> => engine().runCompareAttack(),
    runCompareBatchAttack: (): Promise<void> => engine().runCompareBatchAttack(),
    stopCompareBatchAttack: (): Promise<void> => engine().stopCompareBatchAttack(),
  };
}
