/**
 * CLIP text tokenisation through `@huggingface/tokenizers`, from a transformers.js-layout `tokenizer.json`.
 *
 * `ClipTokenizer.fromJSON(json)` validates the file, builds the library tokenizer and works out the special tokens
 * from the file itself (post_processor first — RobertaProcessing / BertProcessing / TemplateProcessing, also inside
 * a Sequence — then `added_tokens`), never from hard-coded ids. `tokenize(texts)` gives what `text_model.onnx`
 * takes: `input_ids` int64 [B, T] laid out like CLIP's own tokenizer,
 *
 *   BOS t1 … tn EOS PAD … PAD      (n ≤ T − 2; longer prompts are cut to T − 2 tokens and still end with EOS)
 *
 * plus the EOS position of every row. For real CLIP exports the pad token is EOS itself (49407), so an ArgMax over
 * the ids (which returns the first maximum) still lands on the first EOS.
 *
 * Text clean-up: CLIP lower-cases and collapses whitespace. Real CLIP tokenizer.json files do that in the
 * normalizer (NFC, Replace `\s+` → " ", Lowercase); when a file's normalizer lacks one of those steps, we apply it
 * ourselves before encoding (`clean: 'auto'`, the default).
 */
import { Tokenizer } from '@huggingface/tokenizers';

/** Thrown for a tokenizer.json (or tokenizer_config.json) that cannot be used; the message says what is wrong. */
import { MAX_CONTEXT_LENGTH, TokenizerJsonError, checkTokenId, checkTokenizerRegexes } from './tokenizerLimits';
export { TokenizerJsonError };

export interface SpecialToken {
  content: string;
  id: number;
}

export interface ClipSpecialTokens {
  /** Start-of-text token; null only when the file's post-processor adds none. */
  bos: SpecialToken | null;
  eos: SpecialToken;
  pad: SpecialToken;
}

export interface ClipTokenizerOptions {
  /** T, the padded length. Default: tokenizer.json `truncation.max_length`, else its `padding.strategy.Fixed`,
   * else tokenizer_config
   * `model_max_length` (when sensible), else 77 (CLIP). */
  contextLength?: number;
  /** Override the special tokens by content (must exist in the vocabulary / added tokens). */
  bosToken?: string;
  eosToken?: string;
  /** Default: tokenizer.json `padding.pad_token`, else tokenizer_config `pad_token`, else the EOS token. */
  padToken?: string;
  /** Parsed tokenizer_config.json, optional (pad_token, model_max_length, clean_up_tokenization_spaces). */
  tokenizerConfig?: unknown;
  /** 'auto': apply CLIP's NFC / whitespace collapse / lower-casing when the normalizer lacks them;
   * 'always': apply them regardless; 'never': leave the text to the file's normalizer. */
  clean?: 'auto' | 'always' | 'never';
}

export interface TokenizedBatch {
  /** Row-major [batch, contextLength]. */
  inputIds: BigInt64Array;
  dims: [number, number];
  batch: number;
  contextLength: number;
  /** Index of the EOS token in each row. */
  eosPositions: Int32Array;
  /** Tokens in each row before padding, BOS and EOS included (= eosPositions + 1). */
  lengths: Int32Array;
  /** Whether the prompt had to be cut to fit. */
  truncated: boolean[];
}

type Json = Record<string, unknown>;

const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
const isId = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/** Parse a tokenizer.json given as text, or check an already parsed one. */
export function parseTokenizerJson(json: string | unknown): Json {
  let obj: unknown = json;
  if (typeof json === 'string') {
    try {
      obj = JSON.parse(json);
    } catch (e) {
      throw new TokenizerJsonError(`tokenizer.json is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (!isObject(obj)) throw new TokenizerJsonError('tokenizer.json must be a JSON object');
  validateTokenizerJson(obj);
  return obj;
}

function validateTokenizerJson(j: Json): void {
  const model = j.model;
  if (!isObject(model)) throw new TokenizerJsonError('tokenizer.json has no "model" object');
  const type = model.type ?? (('merges' in model) ? 'BPE' : undefined);
  if (typeof type !== 'string') throw new TokenizerJsonError('tokenizer.json "model.type" is missing');
  if (type === 'BPE') {
    if (!isObject(model.vocab)) throw new TokenizerJsonError('tokenizer.json BPE "model.vocab" must be an object of token → id');
    const seen = new Map<number, string>();
    for (const [tok, id] of Object.entries(model.vocab)) {
      if (!isId(id)) throw new TokenizerJsonError(`tokenizer.json vocab entry ${JSON.stringify(tok)} has id ${JSON.stringify(id)}, not a non-negative integer`);
      const other = seen.get(id);
      if (other !== undefined) throw new TokenizerJsonError(`tokenizer.json vocab ids collide: ${JSON.stringify(other)} and ${JSON.stringify(tok)} both have id ${id}`);
      seen.set(id, tok);
    }
    if (!Array.isArray(model.merges)) throw new TokenizerJsonError('tokenizer.json BPE "model.merges" must be an array');
    model.merges.forEach((m, i) => {
      const ok = typeof m === 'string'
        ? m.split(' ').length === 2 && !m.startsWith(' ') && !m.endsWith(' ')
        : Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string';
      if (!ok) throw new TokenizerJsonError(`tokenizer.json merge #${i} ${JSON.stringify(m)} is not "a b" or ["a", "b"]`);
    });
  } else if (!('vocab' in model)) {
    throw new TokenizerJsonError(`tokenizer.json ${type} model has no "vocab"`);
  }
  if (j.added_tokens !== undefined && j.added_tokens !== null) {
    if (!Array.isArray(j.added_tokens)) throw new TokenizerJsonError('tokenizer.json "added_tokens" must be an array');
    j.added_tokens.forEach((t, i) => {
      if (!isObject(t) || !isId(t.id) || typeof t.content !== 'string' || t.content === '') {
        throw new TokenizerJsonError(`tokenizer.json added_tokens[${i}] needs an integer "id" and a non-empty "content"`);
      }
      checkTokenId(t.id as number, `added_tokens[${i}]`);
    });
  }
  if (isObject(model.vocab)) for (const [tok, id] of Object.entries(model.vocab)) if (isId(id)) checkTokenId(id, `vocab entry ${JSON.stringify(tok).slice(0, 40)}`);
  checkTokenizerRegexes(j.normalizer, 'normalizer');
  checkTokenizerRegexes(j.pre_tokenizer, 'pre_tokenizer');
  for (const key of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder'] as const) {
    const v = j[key];
    if (v !== undefined && v !== null && (!isObject(v) || typeof v.type !== 'string')) {
      throw new TokenizerJsonError(`tokenizer.json "${key}" must be null or an object with a "type"`);
    }
  }
}

/** Token content from a tokenizer_config.json entry: a string or an AddedToken-like {content}. */
function configToken(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isObject(v) && typeof v.content === 'string') return v.content;
  return undefined;
}

/** Normalizer steps present in a (possibly nested) normalizer config. */
function normalizerSteps(n: unknown): { nfc: boolean; whitespace: boolean; lowercase: boolean } {
  const found = { nfc: false, whitespace: false, lowercase: false };
  const visit = (x: unknown): void => {
    if (!isObject(x)) return;
    switch (x.type) {
      case 'Sequence':
        if (Array.isArray(x.normalizers)) x.normalizers.forEach(visit);
        break;
      case 'NFC': case 'NFKC':
        found.nfc = true;
        break;
      case 'Lowercase':
        found.lowercase = true;
        break;
      case 'BertNormalizer':
        if (x.lowercase !== false) found.lowercase = true;
        break;
      case 'Replace': {
        const p = x.pattern;
        if (isObject(p) && typeof p.Regex === 'string' && /^\\s\+?$/.test(p.Regex) && x.content === ' ') found.whitespace = true;
        break;
      }
    }
  };
  visit(n);
  return found;
}

/** The pieces a post-processor puts around a single sequence: [prefix specials, suffix specials]. */
function postProcessorSpecials(pp: unknown, lookup: (content: string) => number | undefined): { bos: SpecialToken | null; eos: SpecialToken } | null {
  if (!isObject(pp)) return null;
  const pair = (v: unknown, what: string): SpecialToken => {
    if (!Array.isArray(v) || typeof v[0] !== 'string' || !isId(v[1])) {
      throw new TokenizerJsonError(`tokenizer.json post_processor ${pp.type} "${what}" must be [content, id]`);
    }
    return { content: v[0], id: v[1] };
  };
  switch (pp.type) {
    case 'RobertaProcessing':
    case 'BertProcessing':
      return { bos: pair(pp.cls, 'cls'), eos: pair(pp.sep, 'sep') };
    case 'TemplateProcessing': {
      if (!Array.isArray(pp.single)) throw new TokenizerJsonError('tokenizer.json TemplateProcessing "single" must be an array');
      const specials = isObject(pp.special_tokens) ? pp.special_tokens : {};
      const prefix: SpecialToken[] = [];
      const suffix: SpecialToken[] = [];
      let seenSequence = false;
      for (const item of pp.single) {
        if (isObject(item) && isObject(item.Sequence)) {
          seenSequence = true;
        } else if (isObject(item) && isObject(item.SpecialToken) && typeof item.SpecialToken.id === 'string') {
          const name = item.SpecialToken.id;
          const entry = specials[name];
          let tok: SpecialToken | undefined;
          if (isObject(entry) && Array.isArray(entry.ids) && Array.isArray(entry.tokens)) {
            if (entry.ids.length !== 1 || !isId(entry.ids[0]) || typeof entry.tokens[0] !== 'string') {
              throw new TokenizerJsonError(`tokenizer.json TemplateProcessing special token ${JSON.stringify(name)} must map to exactly one id`);
            }
            tok = { content: entry.tokens[0], id: entry.ids[0] };
          } else {
            const id = lookup(name);
            if (id !== undefined) tok = { content: name, id };
          }
          if (!tok) throw new TokenizerJsonError(`tokenizer.json TemplateProcessing uses unknown special token ${JSON.stringify(name)}`);
          (seenSequence ? suffix : prefix).push(tok);
        } else {
          throw new TokenizerJsonError(`tokenizer.json TemplateProcessing item ${JSON.stringify(item)} is neither a Sequence nor a SpecialToken`);
        }
      }
      if (prefix.length > 1 || suffix.length !== 1) {
        throw new TokenizerJsonError(`tokenizer.json TemplateProcessing must put at most one special token before the text and exactly one after it (found ${prefix.length} and ${suffix.length})`);
      }
      return { bos: prefix[0] ?? null, eos: suffix[0] };
    }
    case 'Sequence': {
      if (!Array.isArray(pp.processors)) return null;
      for (const p of pp.processors) {
        const r = postProcessorSpecials(p, lookup);
        if (r) return r;
      }
      return null;
    }
    default:
      return null;
  }
}

const CLIP_BOS = '<|startoftext|>';
const CLIP_EOS = '<|endoftext|>';

export class ClipTokenizer {
  readonly special: ClipSpecialTokens;
  readonly contextLength: number;
  /** Largest id the tokenizer can produce (vocabulary and added tokens). */
  readonly maxId: number;
  private readonly lib: Tokenizer;
  private readonly clean: { nfc: boolean; whitespace: boolean; lowercase: boolean };
  private readonly cleanUpSpaces: boolean;

  private constructor(lib: Tokenizer, special: ClipSpecialTokens, contextLength: number, maxId: number,
    clean: ClipTokenizer['clean'], cleanUpSpaces: boolean) {
    this.lib = lib;
    this.special = special;
    this.contextLength = contextLength;
    this.maxId = maxId;
    this.clean = clean;
    this.cleanUpSpaces = cleanUpSpaces;
  }

  /** Build from tokenizer.json text or its parsed object. Throws `TokenizerJsonError` with the reason on bad input. */
  static fromJSON(json: string | unknown, options: ClipTokenizerOptions = {}): ClipTokenizer {
    const j = parseTokenizerJson(json);
    const cfgIn = options.tokenizerConfig ?? {};
    if (!isObject(cfgIn)) throw new TokenizerJsonError('tokenizer_config.json must be a JSON object');
    // The library needs every section key present (null when absent) and an added_tokens array.
    const full: Json = {
      ...j,
      normalizer: j.normalizer ?? null,
      pre_tokenizer: j.pre_tokenizer ?? null,
      post_processor: j.post_processor ?? null,
      decoder: j.decoder ?? null,
      added_tokens: j.added_tokens ?? [],
    };
    let lib: Tokenizer;
    try {
      lib = new Tokenizer(full, cfgIn);
    } catch (e) {
      throw new TokenizerJsonError(`tokenizer.json could not be loaded: ${(e as Error).message}`);
    }
    const lookup = (content: string): number | undefined => lib.token_to_id(content);
    const byContent = (content: string, role: string): SpecialToken => {
      const id = lookup(content);
      if (id === undefined) throw new TokenizerJsonError(`${role} token ${JSON.stringify(content)} is not in the tokenizer's vocabulary`);
      return { content, id };
    };

    let bos: SpecialToken | null;
    let eos: SpecialToken;
    const fromPost = postProcessorSpecials(j.post_processor, lookup);
    if (fromPost) {
      ({ bos, eos } = fromPost);
    } else {
      const added = (full.added_tokens as Json[]).map((t) => t.content as string);
      if (!added.includes(CLIP_EOS) && options.eosToken === undefined) {
        throw new TokenizerJsonError('cannot tell the start/end-of-text tokens: tokenizer.json has no RobertaProcessing/BertProcessing/TemplateProcessing post_processor and no "<|endoftext|>" added token (pass eosToken/bosToken)');
      }
      eos = byContent(CLIP_EOS, 'end-of-text');
      bos = added.includes(CLIP_BOS) ? byContent(CLIP_BOS, 'start-of-text') : null;
    }
    if (options.bosToken !== undefined) bos = byContent(options.bosToken, 'start-of-text');
    if (options.eosToken !== undefined) eos = byContent(options.eosToken, 'end-of-text');
    for (const [role, t] of [['start-of-text', bos], ['end-of-text', eos]] as const) {
      if (t && lookup(t.content) !== t.id) {
        throw new TokenizerJsonError(`${role} token ${JSON.stringify(t.content)} has id ${t.id} in the post_processor but ${lookup(t.content)} in the vocabulary`);
      }
    }

    const padding = isObject(j.padding) ? j.padding : null;
    const padContent = options.padToken
      ?? (padding && typeof padding.pad_token === 'string' ? padding.pad_token : undefined)
      ?? configToken(cfgIn.pad_token)
      ?? eos.content;
    const pad = byContent(padContent, 'padding');

    const truncation = isObject(j.truncation) ? j.truncation : null;
    const cfgMax = typeof cfgIn.model_max_length === 'number' && cfgIn.model_max_length <= 1 << 16 ? cfgIn.model_max_length : undefined;
    const fixed = padding && isObject(padding.strategy) && isId(padding.strategy.Fixed) ? padding.strategy.Fixed : undefined;
    const contextLength = options.contextLength
      ?? (truncation && isId(truncation.max_length) ? truncation.max_length : undefined)
      ?? fixed
      ?? cfgMax
      ?? 77;
    if (!Number.isInteger(contextLength) || contextLength < 2 || contextLength > MAX_CONTEXT_LENGTH) {
      throw new TokenizerJsonError(`context length (tokenizer.json truncation.max_length / padding) must be an integer in 2…${MAX_CONTEXT_LENGTH} (room for start and end tokens), got ${contextLength}`);
    }

    let maxId = 0;
    for (const id of lib.get_vocab(true).values()) if (id > maxId) maxId = id;
    // The text tower pools at ArgMax(input_ids): that is the EOS position only if EOS has the highest id.
    if (eos.id !== maxId) {
      throw new TokenizerJsonError(`tokenizer.json end-of-text token ${JSON.stringify(eos.content)} has id ${eos.id} but the highest id is ${maxId}; CLIP's text pooling needs EOS to be the highest id`);
    }

    const have = normalizerSteps(j.normalizer);
    const mode = options.clean ?? 'auto';
    const clean = mode === 'never' ? { nfc: false, whitespace: false, lowercase: false }
      : mode === 'always' ? { nfc: true, whitespace: true, lowercase: true }
        : { nfc: !have.nfc, whitespace: !have.whitespace, lowercase: !have.lowercase };
    const cleanUpSpaces = typeof cfgIn.clean_up_tokenization_spaces === 'boolean' ? cfgIn.clean_up_tokenization_spaces : true;
    return new ClipTokenizer(lib, { bos, eos, pad }, contextLength, maxId, clean, cleanUpSpaces);
  }

  /** True when EOS has the highest id, so ArgMax over input_ids finds the EOS position (as for real CLIP). */
  get eosIsMaxId(): boolean {
    return this.special.eos.id === this.maxId;
  }

  /** CLIP's clean-up steps that the file's normalizer does not already do. */
  cleanText(text: string): string {
    let t = text;
    if (this.clean.nfc) t = t.normalize('NFC');
    if (this.clean.whitespace) t = t.replace(/\s+/gu, ' ').trim();
    if (this.clean.lowercase) t = t.toLowerCase();
    return t;
  }

  /** Ids of one text without start/end tokens and without truncation. */
  encodeText(text: string): number[] {
    if (typeof text !== 'string') throw new TypeError(`prompt must be a string, got ${typeof text}`);
    const enc = this.lib.encode(this.cleanText(text), { add_special_tokens: false });
    enc.ids.forEach((id, i) => {
      if (!Number.isInteger(id)) {
        throw new TokenizerJsonError(`token ${JSON.stringify(enc.tokens[i])} of ${JSON.stringify(text)} is not in the vocabulary and the model has no unk_token`);
      }
    });
    return enc.ids;
  }

  /** Token strings of one text (no special tokens), for inspection. */
  tokens(text: string): string[] {
    return this.lib.encode(this.cleanText(text), { add_special_tokens: false }).tokens;
  }

  /** Batch of prompts → input_ids [B, T] (BOS … EOS, padded with the pad token; truncated to keep EOS). */
  tokenize(texts: readonly string[], contextLength = this.contextLength): TokenizedBatch {
    if (!Number.isInteger(contextLength) || contextLength < 2) {
      throw new RangeError(`context length must be an integer ≥ 2, got ${contextLength}`);
    }
    const { bos, eos, pad } = this.special;
    const room = contextLength - 1 - (bos ? 1 : 0);
    const B = texts.length;
    const inputIds = new BigInt64Array(B * contextLength).fill(BigInt(pad.id));
    const eosPositions = new Int32Array(B);
    const lengths = new Int32Array(B);
    const truncated: boolean[] = [];
    texts.forEach((text, b) => {
      const ids = this.encodeText(text);
      truncated.push(ids.length > room);
      const body = ids.length > room ? ids.slice(0, room) : ids;
      const row = b * contextLength;
      let k = 0;
      if (bos) inputIds[row + k++] = BigInt(bos.id);
      for (const id of body) inputIds[row + k++] = BigInt(id);
      eosPositions[b] = k;
      inputIds[row + k++] = BigInt(eos.id);
      lengths[b] = k;
    });
    return { inputIds, dims: [B, contextLength], batch: B, contextLength, eosPositions, lengths, truncated };
  }

  /** Ids → text, like CLIP's decode of a row: a leading BOS is dropped, everything from the first EOS on (EOS and
   * padding) is cut, other special tokens are skipped, and `</w>` word ends become spaces. */
  decode(ids: ArrayLike<number | bigint>, options: { cleanUpTokenizationSpaces?: boolean } = {}): string {
    const { bos, eos } = this.special;
    const kept: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = Number(ids[i]);
      if (id === eos.id) break;
      if (i === 0 && bos && id === bos.id) continue;
      kept.push(id);
    }
    if (kept.length === 0) return '';
    return this.lib.decode(kept, {
      skip_special_tokens: true,
      clean_up_tokenization_spaces: options.cleanUpTokenizationSpaces ?? this.cleanUpSpaces,
    }).replace(/\s+/gu, ' ').trim();
  }

  /** Token id of a string in the vocabulary (or added tokens), if any. */
  tokenToId(token: string): number | undefined {
    return this.lib.token_to_id(token);
  }
}

/** One-shot: tokenizer.json + prompts → TokenizedBatch. Build a `ClipTokenizer` once when tokenising repeatedly. */
export function tokenize(json: string | unknown, texts: readonly string[], options: ClipTokenizerOptions = {}): TokenizedBatch {
  return ClipTokenizer.fromJSON(json, options).tokenize(texts);
}
