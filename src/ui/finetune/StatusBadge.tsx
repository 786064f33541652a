import type { RunStatus } from '../../storage/runRecord';

const TEXT: Record<RunStatus, string> = {
  running: 'running', paused: 'paused', stopped: 'stopped', done: 'done', error: 'error', interrupted: 'interrupted',
};

export function StatusBadge({ status, testId }: { status: RunStatus; testId?: string }) {
  return <span className={`ft-status ${status}`} data-testid={testId} data-status={status}>{TEXT[status]}</span>;
}

export const METHOD_LABEL: Record<string, string> = { aos: 'AoS', tecoa: 'TeCoA', 'pmg-aft': 'PMG-AFT', fare: 'FARE' };
