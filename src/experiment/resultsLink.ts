/**
 * What a link carries for the Results panel: a results file's URL (`results`) and the selected cell (`cell`):
 *
 *     #p=results&results=https%3A%2F%2Fexample.org%2Fsweep.json&cell=fashion-mnist%2Ftest%4024
 *
 *  - `results`: where the file is — an https: URL or a same-origin path, the model URLs' rules (./url.ts). Like a
 *    model URL it is only a request: nothing is fetched before the user confirms it in the panel, and the download
 *    stops at the results files' size cap.
 *  - `cell`: `<set>@<ε in /255>` ('mnist/test@24', 'fashion-mnist/test@0' for the clean column); whether the file has
 *    it is known only once the file is loaded, and the panel says so when it does not.
 * Links are hostile input: nothing here throws.
 */
import { checkModelUrl } from './url';

export const RESULTS_URL_PARAM = 'results';
export const RESULTS_CELL_PARAM = 'cell';

/** A set name as results files write them: dataset/split, letters, digits, '.', '_' and '-'. */
const SET_NAME = /^[a-z0-9][a-z0-9._-]{0,63}\/[a-z0-9][a-z0-9._-]{0,31}$/i;
/** ε in /255: 0 to 255, at most 4 decimals (a grid value such as 24, or 0.5). */
const EPS_255 = /^(0|[1-9][0-9]{0,2})(\.[0-9]{1,4})?$/;

function shown(raw: string): string {
  return raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
}

/** `cell`: the set and ε (a fraction of the pixel range), or why not. */
export function parseCellParam(raw: string): { set: string; eps: number } | { problem: string } {
  const at = raw.lastIndexOf('@');
  const set = at > 0 ? raw.slice(0, at) : '', e = at > 0 ? raw.slice(at + 1) : '';
  if (!SET_NAME.test(set) || !EPS_255.test(e) || Number(e) > 255) {
    return { problem: `the cell "${shown(raw)}" is not <dataset/split>@<ε in /255> (e.g. mnist/test@24)` };
  }
  return { set, eps: Number(e) / 255 };
}

/** The `cell` value of a selection (ε written in /255, rounded to 4 decimals as the parser reads it). */
export function formatCellParam(set: string, eps: number): string {
  return `${set}@${+(eps * 255).toFixed(4)}`;
}

/** `results`: the URL, or why it is refused (the model URLs' rules). */
export function parseResultsUrlParam(raw: string): { url: string } | { problem: string } {
  const why = checkModelUrl(raw);
  return why === null ? { url: raw } : { problem: `the results URL "${shown(raw)}" ${why}` };
}
