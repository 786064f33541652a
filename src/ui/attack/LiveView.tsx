/**
 * The attack step by step: clean and adversarial image, δ (amplified, diverging colours), |δ| per pixel (heat map),
 * zero-shot probabilities before and after, the objective per step; then the 8-bit result, verified, as PNG.
 */
import { useMemo, useState } from 'react';
import { useAttackStore } from '../../state/attack';
import { useExperimentStore } from '../../state/experiment';
import { ColorBar, PixelCanvas, RgbaCanvas } from './Canvases';
import { DIVERGING, SEQUENTIAL, mapRgba, pct, per255, perturbation } from './draw';
import { LossChart } from './LossChart';
import { ProbBars } from './ProbBars';
import { usePage } from '../pageContext';

function Pred({ names, probs, truth }: { names: readonly string[]; probs: Float32Array | null; truth: number | null }) {
  if (!probs) return null;
  let k = 0;
  for (let i = 1; i < probs.length; i++) if (probs[i] > probs[k]) k = i;
  return (
    <span className="pred">
      <span>→ <b className={truth === null ? undefined : k === truth ? 'ok' : 'bad'}>{names[k]}</b></span>
      <span>{pct(probs[k])}</span>
    </span>
  );
}

const NO_NAMES: string[] = [];

const LOSS_NAMES: Record<string, string> = {
  'pgd-linf': 'cross-entropy', 'pgd-l2': 'cross-entropy', 'apgd-ce': 'cross-entropy', 'apgd-dlr': 'DLR loss', cw: 'C&W margin',
};

async function download(adversarialPng: () => Promise<{ blob: Blob; name: string } | null>): Promise<void> {
  const png = await adversarialPng();
  if (!png) return;
  const url = URL.createObjectURL(png.blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = png.name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function LiveView() {
  const { adversarialPng } = usePage().commands.attack;
  const image = useAttackStore((s) => s.image);
  const clean = useAttackStore((s) => s.clean);
  const names = useAttackStore((s) => s.classes.value?.names ?? NO_NAMES);
  const trueClass = useAttackStore((s) => s.trueClass);
  const single = useAttackStore((s) => s.single);
  const attackType = useExperimentStore((s) => s.config.attack.type);
  const [dlError, setDlError] = useState<string | null>(null);
  const runHere = image && single.imageId === image.id;
  const current = runHere ? single.current : null;
  const result = runHere ? single.result : null;
  const dims = image?.dims ?? [1, 1, 1];
  const delta = useMemo(() => (current && image ? perturbation(current, image.pixels, image.dims) : null), [current, image]);
  const heatMax = single.norm === 'linf' && single.eps > 0 ? single.eps : Math.max(delta?.maxAbs ?? 0, 1 / 255);
  const truth = runHere ? single.trueClass : trueClass;
  const target = runHere ? single.target : null;
  // The whole run's range while it runs (the curve grows to the right); a stopped run is shown as far as it got.
  const evaluations = !runHere || !single.steps ? 11 : single.status === 'stopped' ? single.trace.length : 1 + single.restarts * (single.steps + 1);
  const lossName = `${target !== null && LOSS_NAMES[attackType] === 'cross-entropy' ? '−' : ''}${LOSS_NAMES[attackType]}`;
  const at = runHere && single.at && single.at.step >= 0 ? `restart ${single.at.restart + 1}, step ${single.at.step}` : null;
  const trace = runHere ? single.trace : [];
  return (
    <section className="card" data-testid="attack-live">
      <h3>Live attack</h3>
      <p className="atk-sub">The attack as it runs, one update per step: the current adversarial image, its perturbation δ and where it is large, how the class probabilities move, and the objective the attack climbs.</p>
      <div className="atk-figs">
        <figure className="atk-fig">
          <div className="frame">{image ? <PixelCanvas pixels={image.pixels} dims={dims} label="clean image" testId="attack-clean-canvas" /> : <div className="empty">no image</div>}</div>
          <figcaption>
            <b>Clean</b>{image?.label ? ` · ${image.label}` : ''}
            <Pred names={names} probs={clean && clean.imageId === image?.id ? clean.probs : null} truth={truth} />
          </figcaption>
        </figure>
        <figure className="atk-fig">
          <div className="frame">{current ? <PixelCanvas pixels={current} dims={dims} label="adversarial image" testId="attack-adv-canvas" /> : <div className="empty">adversarial image: run the attack</div>}</div>
          <figcaption>
            <b>Adversarial</b> · <span data-testid="attack-adv-caption" data-kept-step={single.status === 'stopped' && result && single.at ? single.at.step : undefined}>{result ? (single.status === 'stopped' && at ? `best point at stop (${at}), 8-bit` : '8-bit result') : at ?? '—'}</span>
            <Pred names={names} probs={runHere ? single.currentProbs : null} truth={truth} />
          </figcaption>
        </figure>
        <figure className="atk-fig">
          <div className="frame">
            {delta ? <RgbaCanvas rgba={mapRgba(delta.signed, DIVERGING, -Math.max(delta.maxAbs, 1e-12), Math.max(delta.maxAbs, 1e-12))} width={dims[2]} height={dims[1]} label="perturbation" testId="attack-delta-canvas" />
              : <div className="empty">δ = adversarial − clean</div>}
          </div>
          <figcaption>
            <b>Perturbation δ</b> · amplified to ±max|δ|{dims[0] === 3 ? ' (mean over RGB)' : ''}
            <ColorBar map={DIVERGING} ticks={delta ? [`−${per255(delta.maxAbs)}`, '0', `+${per255(delta.maxAbs)}`] : ['−', '0', '+']} />
          </figcaption>
        </figure>
        <figure className="atk-fig">
          <div className="frame">
            {delta ? <RgbaCanvas rgba={mapRgba(delta.abs, SEQUENTIAL, 0, heatMax)} width={dims[2]} height={dims[1]} label="perturbation magnitude" testId="attack-heat-canvas" />
              : <div className="empty">|δ| per pixel</div>}
          </div>
          <figcaption>
            <b>|δ| per pixel</b>{dims[0] === 3 ? ' (max over RGB)' : ''} · scale 0 → {single.norm === 'linf' && single.eps > 0 ? 'ε' : 'max'}
            <ColorBar map={SEQUENTIAL} ticks={['0', per255(heatMax)]} />
          </figcaption>
        </figure>
      </div>
      <div className="atk-charts">
        <div>
          <p className="atk-chart-title">Zero-shot probabilities</p>
          <p className="atk-chart-sub">Top-5 classes of the clean image, before (grey) and after (red); ✓ attacked class, ◎ target.</p>
          {clean && image && clean.imageId === image.id && names.length === clean.probs.length
            ? <ProbBars names={names} clean={clean.probs} adv={runHere ? single.currentProbs : null} trueClass={truth ?? clean.pred} target={target} testId="attack-probs" />
            : <p className="muted small">classifying…</p>}
        </div>
        <div>
          <p className="atk-chart-title">Objective per step</p>
          <p className="atk-chart-sub">Mean {lossName} (the attack maximises it; ○ = clean image); dashed: probability of the attacked class (right axis).</p>
          <LossChart trace={trace} evaluations={evaluations} lossLabel={lossName} testId="attack-loss-chart"
            aux={{ label: 'p(attacked class)', values: trace.map((p) => p.pTrue ?? null) }} />
        </div>
      </div>
      {result && image && (
        <div className={`atk-verify ${result.withinBudget ? '' : 'fail'}`} data-testid="attack-verify"
          data-success={result.success} data-linf={result.linf255} data-pred={names[result.pred]}>
          <span>
            <b>8-bit result, checked by a fresh forward pass:</b> predicted <b>{names[result.pred]}</b> ({pct(result.probs[result.pred])}) —{' '}
            {result.success ? <b className="error">attack succeeded</b> : <b>attack failed</b>}
            {target !== null ? ` (target ${names[target]})` : ''}
          </span>
          <span>‖δ‖∞ = <code>{result.linf255}/255</code>{single.norm === 'linf' ? (result.withinBudget ? ' ≤ ε ✓' : ' > ε ✗') : ''}</span>
          <span>‖δ‖₂ = <code>{result.l2.toFixed(3)}</code>{single.norm === 'l2' ? (result.withinBudget ? ' ≤ ε ✓' : ' > ε ✗') : ''}</span>
          {result.lostBySnapping > 0 && <span className="warn-text">the float attack succeeded but the 8-bit rounding undid it</span>}
          {result.alreadyAtGoal && (
            <span className="warn-text" data-testid="attack-already">
              the clean image already {target === null ? `is not classified as ${names[truth ?? 0]}` : `is classified as ${names[target]}`}: the worst case is the clean image itself (choose the clean prediction as the attacked class to attack it)
            </span>
          )}
          <span className="spacer" />
          <button type="button" className="primary" data-testid="attack-download" onClick={() => { setDlError(null); download(adversarialPng).catch((e: unknown) => setDlError(String((e as Error)?.message ?? e))); }}>
            Download PNG
          </button>
          {dlError && <span className="error">{dlError}</span>}
        </div>
      )}
      {result && result.warnings.length > 0 && (
        <ul className="atk-warnings" data-testid="attack-warnings">{result.warnings.map((w, i) => <li key={i}>{w}</li>)}</ul>
      )}
    </section>
  );
}
