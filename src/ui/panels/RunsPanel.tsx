import { useEffect, useMemo } from 'react';
import { ensureRunsLoaded } from '../../engine/runs';
import { useRunsStore } from '../../state/runs';
import { CompareChart } from '../finetune/CompareChart';
import { RunTable } from '../finetune/RunTable';
import { PALETTE } from '../finetune/series';
import '../finetune/finetune.css';

export function RunsPanel() {
  const runs = useRunsStore((s) => s.runs);
  const compare = useRunsStore((s) => s.compare);
  const error = useRunsStore((s) => s.error);
  useEffect(() => { void ensureRunsLoaded(); }, []);
  const picked = useMemo(() => compare.map((id) => runs.find((r) => r.id === id)).filter((r) => r !== undefined), [runs, compare]);
  const colors = useMemo(() => new Map(compare.map((id, i) => [id, PALETTE[i % PALETTE.length]])), [compare]);
  return (
    <div className="stack">
      <section className="card">
        <div className="card-head"><h3>Runs in this browser</h3><span className="muted small">{runs.length} run{runs.length === 1 ? '' : 's'}</span></div>
        {error && <p className="error" role="alert">{error}</p>}
        <RunTable colors={colors} />
      </section>
      <CompareChart runs={picked} colors={colors} />
    </div>
  );
}
