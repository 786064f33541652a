/**
 * Limits on what a tokenizer.json may ask for. Regexes from the file run in the page's thread, where a catastrophic
 * backtracking pattern (`(.*)*\.x`) cannot be interrupted, so only the patterns real tokenizers ship are accepted.
 */
/** A tokenizer.json the workbench refuses (its message names the field). Re-exported by ./tokenizer. */
export class TokenizerJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerJsonError';
  }
}

/** Largest token id accepted: real vocabularies stay below ~260k; an id of 2^31 made the library hang. */
export const MAX_TOKEN_ID = 2 ** 20;
/** Longest context (T) accepted from truncation.max_length / padding / model_max_length. CLIP uses 77. */
export const MAX_CONTEXT_LENGTH = 4096;

const CLIP_WORDS = "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

/** Normalizer / pre-tokenizer regexes of released tokenizers (CLIP, GPT-2/RoBERTa, cl100k/Llama 3, whitespace). */
export const ALLOWED_TOKENIZER_REGEXES: ReadonlySet<string> = new Set([
  '\\s+', '\\s', ' {2,}', '\\s*', '\\w+|[^\\w\\s]+',
  CLIP_WORDS,
  `<\\|startoftext\\|>|<\\|endoftext\\|>|${CLIP_WORDS}`,
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
]);

/** Throws naming the JSON path of the first regex in `node` (a normalizer or pre_tokenizer tree) not allowlisted. */
export function checkTokenizerRegexes(node: unknown, path: string): void {
  if (Array.isArray(node)) {
    node.forEach((x, i) => checkTokenizerRegexes(x, `${path}[${i}]`));
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'Regex') {
      if (typeof v !== 'string' || !ALLOWED_TOKENIZER_REGEXES.has(v)) {
        throw new TokenizerJsonError(`tokenizer.json ${path}.Regex ${JSON.stringify(v).slice(0, 80)} is not one of the patterns released tokenizers use (file regexes run unbounded in the page, so only known ones are accepted)`);
      }
    } else {
      checkTokenizerRegexes(v, `${path}.${k}`);
    }
  }
}

/** A token id from the file: an integer in 0…MAX_TOKEN_ID. */
export function checkTokenId(id: number, what: string): void {
  if (id > MAX_TOKEN_ID) throw new TokenizerJsonError(`tokenizer.json ${what} has id ${id}, over the limit of ${MAX_TOKEN_ID}`);
}
