/**
 * Child process of the fuzz suites: `node --import tsx tests/fuzz/worker.ts <onnx|tokenizer|config|results> <seed> <count>`.
 * Parses `count` hostile inputs the way the loader does and prints one JSON line per input (outcome, time, peak
 * RSS); the parent samples this process's memory from outside, since a bomb would stop any timer in here.
 */
import { GraphError } from '../../src/onnx/errors';
import { simplify } from '../../src/onnx/passes';
import { ModelLoadError } from '../../src/models/errors';
import { decodeOnnxFile } from '../../src/models/onnxfile';
import { ClipTokenizer, TokenizerJsonError } from '../../src/text/tokenizer';
import { PreprocessorConfigError, parsePreprocessorConfig } from '../../src/image/preprocess';
import { clipConfigFromJson } from '../../src/onnx/clip/folder';
import { Rng } from '../../src/util/random';
import { parseResults } from '../../src/methods/results';
import { parseResultsModels } from '../../src/methods/resultsModels';
import { configMutant, onnxMutant, resultsMutant, tokenizerMutant } from './mutants';

type Outcome = 'ok' | 'refused' | 'crash';

/** A raw JS failure from inside a parser (what a user must never see) rather than a message naming the problem. */
const isCrash = (e: unknown) => !(e instanceof Error) || /Cannot read properties|is not a function|is not iterable|undefined|Maximum call stack/.test(e.message);

function parseOnnx(rng: Rng): { what: string; outcome: Outcome; message?: string } {
  const { bytes, what } = onnxMutant(rng);
  try {
    const model = decodeOnnxFile(bytes, 'model.onnx');
    const input = model.graph.inputs[0];
    const shape = (input.dims ?? [1]).map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    simplify(model, { inputShapes: { [input.name]: shape } });
    return { what, outcome: 'ok' };
  } catch (e) {
    const refused = e instanceof GraphError || e instanceof ModelLoadError || !isCrash(e);
    return { what, outcome: refused ? 'refused' : 'crash', message: String((e as Error)?.stack ?? e).slice(0, 400) };
  }
}

function parseTokenizer(rng: Rng): { what: string; outcome: Outcome; message?: string } {
  const text = tokenizerMutant(rng);
  try {
    const tok = ClipTokenizer.fromJSON(text);
    tok.tokenize(['a photo of a cat', 'aaaaaaaaaaaaaaaaaaaaaaaaa.y']);
    return { what: 'tokenizer.json', outcome: 'ok' };
  } catch (e) {
    return { what: 'tokenizer.json', outcome: e instanceof TokenizerJsonError ? 'refused' : 'crash', message: String((e as Error)?.stack ?? e).slice(0, 400) };
  }
}

function parseConfig(rng: Rng): { what: string; outcome: Outcome; message?: string } {
  const { file, text } = configMutant(rng);
  try {
    if (file === 'config.json') clipConfigFromJson(text);
    else parsePreprocessorConfig(text);
    return { what: file, outcome: 'ok' };
  } catch (e) {
    const named = e instanceof PreprocessorConfigError || ((e instanceof RangeError || e instanceof TypeError) && /^(config\.json|CLIP config)/.test(e.message));
    return { what: file, outcome: named ? 'refused' : 'crash', message: String((e as Error)?.stack ?? e).slice(0, 400) };
  }
}

function parseResultsFiles(rng: Rng): { what: string; outcome: Outcome; message?: string } {
  const { what, text } = resultsMutant(rng);
  try {
    if (what === 'manifest') parseResultsModels(text);
    else for (const r of parseResults(text).runs) if (r.curve) r.curve.step.forEach((s, i) => r.curve!.loss[i]);
    return { what, outcome: 'ok' };
  } catch (e) {
    const named = e instanceof Error && /^results( models)?: /.test(e.message) && !isCrash(e);
    return { what, outcome: named ? 'refused' : 'crash', message: String((e as Error)?.stack ?? e).slice(0, 400) };
  }
}

const [kind, seedArg, countArg] = process.argv.slice(2);
const parse = { onnx: parseOnnx, tokenizer: parseTokenizer, config: parseConfig, results: parseResultsFiles }[kind]!;
const seed = Number(seedArg) >>> 0;
for (let i = 0; i < Number(countArg); i++) {
  const rng = new Rng((seed + Math.imul(i, 0x9e3779b1)) >>> 0);
  process.stdout.write(`${JSON.stringify({ start: i })}\n`);
  const t0 = performance.now();
  const r = parse(rng);
  const ms = performance.now() - t0;
  const mem = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ i, ...r, ms, rssMB: mem.rss / 2 ** 20, arrayBuffersMB: mem.arrayBuffers / 2 ** 20, maxRssMB: process.resourceUsage().maxRSS / 1024 })}\n`);
}
