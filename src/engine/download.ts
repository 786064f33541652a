/**
 * Downloads, on the page (they need a document): run records as JSON and CSV, and any blob the engine Worker made
 * (fine-tuned ONNX towers, the adversarial PNG).
 */
import { metricsToCsv, runFileBase, runToJson, type RunRecord } from '../storage/runRecord';

/** Triggers a browser download of a blob. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function exportRunJson(r: RunRecord): void {
  download(new Blob([runToJson(r)], { type: 'application/json' }), `${runFileBase(r)}.json`);
}

export function exportRunCsv(r: RunRecord): void {
  download(new Blob([metricsToCsv(r.metrics)], { type: 'text/csv' }), `${runFileBase(r)}.csv`);
}
