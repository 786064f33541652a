import { useEffect } from 'react';
import { PROMPT_TEMPLATES } from '../../data/prompts';
import { useExperimentStore } from '../../state/experiment';
import { useResourceStore } from '../../state/resources';
import { FieldGroup } from '../fields/SpecField';
import { MetricsCard } from '../model/MetricsCard';
import { ModelCacheCard } from '../model/ModelCacheCard';
import { LocalModelLoader } from '../model/LocalModelLoader';
import { ModelCard } from '../model/ModelCard';
import { ModelSource } from '../model/ModelSource';
import { PromptTable } from '../model/PromptTable';
import { usePage } from '../pageContext';

export function ModelPanel() {
  const { computePrompts, showModel } = usePage().commands.model;
  const { ensureManifest } = usePage().data;
  const model = useExperimentStore((s) => s.config.model);
  const seed = useExperimentStore((s) => s.config.seed);
  const datasetId = useExperimentStore((s) => s.config.data.dataset);
  const templates = useExperimentStore((s) => s.config.fineTune.prompts.templates);
  const synonyms = useExperimentStore((s) => s.config.fineTune.prompts.synonyms);
  const state = useResourceStore((s) => s.model);
  const prompts = useResourceStore((s) => s.prompts);
  const manifest = useResourceStore((s) => s.manifest);
  useEffect(() => { void showModel(model, seed); }, [model, seed]);
  useEffect(() => { void ensureManifest(); }, []);
  const dataset = manifest.value?.datasets.find((d) => d.id === datasetId);
  useEffect(() => {
    if (dataset && state.status === 'ready') void computePrompts(dataset.classes, templates, synonyms);
  }, [dataset, state, templates, synonyms]);
  return (
    <div className="stack">
      <div className="columns">
        <ModelSource />
        <FieldGroup title="Prompt set" paths={['data.dataset', 'fineTune.prompts.templates', 'fineTune.prompts.synonyms']} />
      </div>
      <LocalModelLoader />
      {state.status === 'loading' && <p className="muted">{state.progress}</p>}
      {state.status === 'error' && <p className="error" role="alert">Model: {state.error}</p>}
      {state.status === 'idle' && model.source === 'url' && (
        <p className="note" data-testid="model-waiting">
          {model.url === ''
            ? 'Enter the URL of a model folder (transformers.js layout) above, then review the download: nothing is fetched before you confirm.'
            : `Waiting for your confirmation: nothing has been downloaded from ${model.url}.`}
        </p>
      )}
      {state.status === 'ready' && state.value && <ModelCard m={state.value} />}
      {state.status === 'ready' && state.value?.metrics !== undefined && <MetricsCard metrics={state.value.metrics} />}
      <ModelCacheCard />
      {state.status === 'ready' && state.value && (
        <section className="card">
          <h3>Prompts and classes{dataset ? ` — ${dataset.name}` : ''}</h3>
          {prompts.status === 'error' && <p className="error">{prompts.error}</p>}
          {prompts.value && <PromptTable rows={prompts.value} contextLength={state.value.config.text.contextLength} templatesAvailable={PROMPT_TEMPLATES.length} />}
        </section>
      )}
    </div>
  );
}
