/**
 * The guided start (issue #19), what a new user opens on: three steps that teach by doing — one click attacks a
 * bundled image live, one click runs a short AoS fine-tune while the subspace angle moves, then the path through
 * the panels. Everything runs through the same engine commands and presets of the experiment spec as the panels.
 */
import { useEffect, useRef, useState } from 'react';
import { useAttackStore } from '../../state/attack';
import { LiveView } from '../attack/LiveView';
import { AttackDemoCard } from '../start/AttackDemoCard';
import { NextSteps } from '../start/NextSteps';
import { QuickDemoCard } from '../start/QuickDemoCard';
import '../attack/attack.css';
import '../finetune/finetune.css';
import '../start/start.css';
import { usePage } from '../pageContext';

export function StartPanel() {
  const { ensureRunsLoaded } = usePage().commands.runs;
  const attackRan = useAttackStore((s) => s.single.status !== 'idle');
  const [attackAsked, setAttackAsked] = useState(false);
  const live = useRef<HTMLDivElement>(null);
  useEffect(() => { void ensureRunsLoaded(); }, []);
  const showLive = attackAsked || attackRan;
  // The live view is below the steps: bring it into sight once the user asked for the attack.
  useEffect(() => { if (attackAsked) live.current?.scrollIntoView({ behavior: 'smooth', block: 'start' }); }, [attackAsked]);
  return (
    <div className="stack start-panel">
      <div className="start-steps">
        <AttackDemoCard onStarted={() => setAttackAsked(true)} />
        <QuickDemoCard />
        <NextSteps />
      </div>
      <div ref={live} className="start-live" data-testid="start-live">
        {showLive && <LiveView />}
      </div>
    </div>
  );
}
