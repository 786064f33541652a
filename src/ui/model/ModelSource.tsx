/** Where the model comes from; a URL model waits for the user's confirmation before anything is fetched. */
import { requestModelConfirmation } from '../../engine/linkSync';
import { useExperimentStore } from '../../state/experiment';
import { useResourceStore } from '../../state/resources';
import { FieldGroup } from '../fields/SpecField';
import { fmtBytes } from '../format';
import { usePage } from '../pageContext';

export function ModelSource() {
  const { cancelModelFetch } = usePage().commands.model;
  const model = useExperimentStore((s) => s.config.model);
  const remote = useResourceStore((s) => s.remote);
  const fetched = useResourceStore((s) => s.model.key === `url:${model.url}` && s.model.status === 'ready');
  const isUrl = model.source === 'url';
  return (
    <FieldGroup title="Source" paths={isUrl ? ['model.source', 'model.url', 'model.maxMB', 'seed'] : ['model.source', 'seed']}>
      {isUrl && (
        <div className="field-actions">
          {remote.status === 'fetching' ? (
            <>
              <span className="muted">{remote.message} · {fmtBytes(remote.received)} of at most {fmtBytes(remote.capBytes)}</span>
              <button type="button" onClick={() => void cancelModelFetch()}>Cancel</button>
            </>
          ) : (
            <button type="button" className="primary" disabled={model.url === ''} onClick={() => requestModelConfirmation(model, 'panel')}>
              {fetched ? 'Download again…' : 'Review download…'}
            </button>
          )}
        </div>
      )}
      {!isUrl && <p className="hint-block">The seed also sets the random initial weights of the random-init model.</p>}
    </FieldGroup>
  );
}
