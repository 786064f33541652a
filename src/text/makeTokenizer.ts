/**
 * Generator of CLIP-format byte-level BPE `tokenizer.json` files for our own small CLIP models.
 *
 * The output has the structure of a real CLIP tokenizer.json (as exported by Hugging Face for openai/clip-*):
 *  - normalizer: NFC, Replace `\s+` → " ", Lowercase;
 *  - pre_tokenizer: Split on CLIP's regex (contractions, letter runs, single digits, other non-space runs), then
 *    ByteLevel without its own regex;
 *  - model: BPE with end_of_word_suffix `</w>`; vocab = the 256 byte symbols (ids 0–255, in GPT-2's bytes→unicode
 *    order, like CLIP), the same symbols with `</w>` (256–511), one token per learned merge (512…), then
 *    `<|startoftext|>` (BOS) and `<|endoftext|>` (EOS = BOS + 1 = the highest id, so ArgMax over input_ids finds
 *    the EOS position);
 *  - post_processor: RobertaProcessing (BOS … EOS); decoder: ByteLevel (the `</w>` suffix becomes a space).
 * Every byte has a token, so any text encodes without an unknown token (out-of-vocabulary words fall back to
 * shorter pieces, down to single bytes) and decodes back to its normalised form.
 *
 * Merges come from a small deterministic BPE trainer: repeatedly merge the most frequent adjacent symbol pair
 * (counted over words weighted by their frequency; ties broken by the pair's strings), until the vocabulary
 * reaches `vocabSize` or no pair occurs `minFrequency` times. The result depends only on the multiset of words,
 * not on the order of the texts.
 */

/** CLIP's pre-tokenizer pattern, as written in real CLIP tokenizer.json files (Oniguruma syntax, valid JS too). */
export const CLIP_SPLIT_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";
export const END_OF_WORD = '</w>';
export const BOS_TOKEN = '<|startoftext|>';
export const EOS_TOKEN = '<|endoftext|>';

/** GPT-2 / CLIP byte → printable character table, in CLIP's vocabulary order: entry i is [byte, char] of id i. */
export function byteAlphabet(): Array<[number, string]> {
  const direct: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) direct.push(b);
  for (let b = 0xa1; b <= 0xac; b++) direct.push(b);
  for (let b = 0xae; b <= 0xff; b++) direct.push(b);
  const table: Array<[number, string]> = direct.map((b) => [b, String.fromCharCode(b)]);
  const isDirect = new Set(direct);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!isDirect.has(b)) table.push([b, String.fromCharCode(256 + n++)]);
  }
  return table;
}

export interface MakeTokenizerOptions {
  /** Total vocabulary size, special tokens included (≥ 514 = 512 byte symbols + BOS + EOS). Default 2048.
   * Training stops earlier when every word is a single token, so the result may be smaller. */
  vocabSize?: number;
  /** A pair must occur at least this often (counting word frequency) to be merged. Default 1, so every
   * word of the corpus ends up a single token once the vocabulary is large enough. */
  minFrequency?: number;
}

export interface ClipTokenizerJson {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: Array<{
    id: number; content: string; single_word: boolean; lstrip: boolean; rstrip: boolean; normalized: boolean; special: boolean;
  }>;
  normalizer: { type: 'Sequence'; normalizers: Array<Record<string, unknown>> };
  pre_tokenizer: { type: 'Sequence'; pretokenizers: Array<Record<string, unknown>> };
  post_processor: {
    type: 'RobertaProcessing'; sep: [string, number]; cls: [string, number]; trim_offsets: boolean; add_prefix_space: boolean;
  };
  decoder: { type: 'ByteLevel'; add_prefix_space: boolean; trim_offsets: boolean; use_regex: boolean };
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: string;
    continuing_subword_prefix: string;
    end_of_word_suffix: string;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: string[];
  };
}

/** CLIP's text normalisation (the generated normalizer): NFC, whitespace runs → one space, lower case. */
export function clipNormalize(text: string): string {
  return text.normalize('NFC').replace(/\s+/gu, ' ').toLowerCase();
}

/** Words of a text as CLIP's pre-tokenizer sees them: byte-level strings of the regex matches. */
let byteToChar: string[] | null = null;

export function clipPreTokenize(text: string): string[] {
  if (!byteToChar) {
    byteToChar = [];
    for (const [b, c] of byteAlphabet()) byteToChar[b] = c;
  }
  const toChar = byteToChar;
  const enc = new TextEncoder();
  const words: string[] = [];
  for (const m of clipNormalize(text).matchAll(new RegExp(CLIP_SPLIT_PATTERN, 'gu'))) {
    let w = '';
    for (const b of enc.encode(m[0])) w += toChar[b];
    words.push(w);
  }
  return words;
}

const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);

interface PairStat { a: string; b: string; count: number; words: Set<number> }

/**
 * Learn merges from word frequencies (words are byte-level strings; the trainer appends `</w>` to the last
 * symbol). Stops once the merges have produced `maxNewTokens` distinct tokens (two merges can produce the same
 * string through different splits; only the first costs a vocabulary entry) or no pair occurs `minFrequency`
 * times. Returns the merges in rank order.
 */
export function trainBpe(wordCounts: Map<string, number>, maxNewTokens: number, minFrequency = 1): Array<[string, string]> {
  // Words sorted so that nothing below depends on insertion order.
  const entries = [...wordCounts.entries()].sort((x, y) => cmp(x[0], y[0]));
  const words: string[][] = entries.map(([w]) => {
    const s = Array.from(w);
    s[s.length - 1] += END_OF_WORD;
    return s;
  });
  const freq = entries.map(([, c]) => c);
  const pairs = new Map<string, PairStat>();
  const key = (a: string, b: string): string => `${a} ${b}`;
  const account = (wi: number, sign: 1 | -1): void => {
    const s = words[wi];
    for (let i = 0; i + 1 < s.length; i++) {
      const k = key(s[i], s[i + 1]);
      let p = pairs.get(k);
      if (!p) {
        p = { a: s[i], b: s[i + 1], count: 0, words: new Set() };
        pairs.set(k, p);
      }
      p.count += sign * freq[wi];
      if (sign > 0) p.words.add(wi);
      if (p.count <= 0) pairs.delete(k);
    }
  };
  words.forEach((_, wi) => account(wi, 1));

  const merges: Array<[string, string]> = [];
  const produced = new Set<string>();
  while (produced.size < maxNewTokens) {
    let best: PairStat | null = null;
    for (const p of pairs.values()) {
      if (!best || p.count > best.count
        || (p.count === best.count && (cmp(p.a, best.a) || cmp(p.b, best.b)) < 0)) best = p;
    }
    if (!best || best.count < minFrequency) break;
    const { a, b } = best;
    merges.push([a, b]);
    const merged = a + b;
    produced.add(merged);
    for (const wi of [...best.words].sort((x, y) => x - y)) {
      const s = words[wi];
      let has = false;
      for (let i = 0; i + 1 < s.length; i++) if (s[i] === a && s[i + 1] === b) { has = true; break; }
      if (!has) continue;
      account(wi, -1);
      const out: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          out.push(merged);
          i++;
        } else {
          out.push(s[i]);
        }
      }
      words[wi] = out;
      account(wi, 1);
    }
    pairs.delete(key(a, b));
  }
  return merges;
}

/**
 * Build a CLIP-format tokenizer.json from texts (prompts, class names, synonyms). Deterministic: the same
 * multiset of words gives the same file, whatever the order of `texts`.
 */
export function makeClipTokenizerJson(texts: readonly string[], options: MakeTokenizerOptions = {}): ClipTokenizerJson {
  const vocabSize = options.vocabSize ?? 2048;
  const minFrequency = options.minFrequency ?? 1;
  if (!Number.isInteger(vocabSize) || vocabSize < 514) {
    throw new RangeError(`vocabSize must be an integer ≥ 514 (256 bytes × 2 + start/end tokens), got ${vocabSize}`);
  }
  if (!(minFrequency >= 1)) throw new RangeError(`minFrequency must be ≥ 1, got ${minFrequency}`);
  if (!Array.isArray(texts)) throw new TypeError('texts must be an array of strings');

  const counts = new Map<string, number>();
  for (const t of texts) {
    if (typeof t !== 'string') throw new TypeError(`texts must be strings, got ${typeof t}`);
    for (const w of clipPreTokenize(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  }

  const vocab: Record<string, number> = {};
  let next = 0;
  const alphabet = byteAlphabet();
  for (const [, c] of alphabet) vocab[c] = next++;
  for (const [, c] of alphabet) vocab[c + END_OF_WORD] = next++;

  const learned = trainBpe(counts, vocabSize - 2 - next, minFrequency);
  const merges = learned.map(([a, b]) => `${a} ${b}`);
  for (const [a, b] of learned) {
    if (!(a + b in vocab)) vocab[a + b] = next++;
  }

  const bosId = next++;
  const eosId = next;
  vocab[BOS_TOKEN] = bosId;
  vocab[EOS_TOKEN] = eosId;

  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      { id: bosId, content: BOS_TOKEN, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true },
      { id: eosId, content: EOS_TOKEN, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: CLIP_SPLIT_PATTERN }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [EOS_TOKEN, eosId],
      cls: [BOS_TOKEN, bosId],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: EOS_TOKEN,
      continuing_subword_prefix: '',
      end_of_word_suffix: END_OF_WORD,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}
