import { describe, expect, it } from 'vitest';
import { ClipTokenizer, TokenizerJsonError, parseTokenizerJson, tokenize } from '../../src/text/tokenizer';

/**
 * A tiny tokenizer.json written out by hand in the structure of openai/clip-vit-base-patch32's: the 256 byte
 * symbols in GPT-2 bytes→unicode order (ids 0–255), their </w> variants (256–511), a few merges (512–518), then
 * <|startoftext|> and <|endoftext|>.
 */
function byteSymbols(): string[] {
  const direct: number[] = [];
  for (let b = 33; b <= 126; b++) direct.push(b);
  for (let b = 161; b <= 172; b++) direct.push(b);
  for (let b = 174; b <= 255; b++) direct.push(b);
  const chars = direct.map((b) => String.fromCharCode(b));
  let n = 0;
  for (let b = 0; b < 256; b++) if (!direct.includes(b)) chars.push(String.fromCharCode(256 + n++));
  return chars;
}

function handMadeClip(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  byteSymbols().forEach((c, i) => { vocab[c] = i; vocab[`${c}</w>`] = 256 + i; });
  const merges = ['p h', 'o t', 'ph ot', 'phot o</w>', 'o f</w>', 'c a', 'ca t</w>'];
  merges.forEach((m, i) => { vocab[m.replace(' ', '')] = 512 + i; });
  vocab['<|startoftext|>'] = 519;
  vocab['<|endoftext|>'] = 520;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      { id: 519, content: '<|startoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true },
      { id: 520, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: { type: 'RobertaProcessing', sep: ['<|endoftext|>', 520], cls: ['<|startoftext|>', 519], trim_offsets: false, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: '<|endoftext|>', continuing_subword_prefix: '', end_of_word_suffix: '</w>',
      fuse_unk: false, byte_fallback: false, vocab, merges,
    },
  };
}

const row = (b: { inputIds: BigInt64Array; contextLength: number }, i: number): number[] =>
  Array.from(b.inputIds.subarray(i * b.contextLength, (i + 1) * b.contextLength), Number);

describe('ClipTokenizer on a hand-made CLIP-structure tokenizer.json', () => {
  // Byte symbol ids: 'a' = 0x61 − 0x21 = 64, so "a</w>" = 320 (as in real CLIP); 'd' = 67, 'o' = 78, "g</w>" = 326.
  const expected = [519, 320, 515, 516, 320, 518, 520];

  it('gives the expected ids, EOS-padded to the context length', () => {
    const tok = ClipTokenizer.fromJSON(JSON.stringify(handMadeClip()), { contextLength: 10 });
    expect(tok.special).toEqual({
      bos: { content: '<|startoftext|>', id: 519 },
      eos: { content: '<|endoftext|>', id: 520 },
      pad: { content: '<|endoftext|>', id: 520 },
    });
    expect(tok.eosIsMaxId).toBe(true);
    const b = tok.tokenize(['A photo of a cat', 'dog', '  a\tphoto  OF A CAT ']);
    expect(b.dims).toEqual([3, 10]);
    expect(row(b, 0)).toEqual([...expected, 520, 520, 520]);
    expect(row(b, 1)).toEqual([519, 67, 78, 326, 520, 520, 520, 520, 520, 520]);
    expect(row(b, 2)).toEqual(row(b, 0));
    expect(Array.from(b.eosPositions)).toEqual([6, 4, 6]);
    expect(tok.decode(b.inputIds.subarray(0, 10))).toBe('a photo of a cat');
  });

  it('defaults the context length to 77 and reads it from truncation / tokenizer_config', () => {
    expect(ClipTokenizer.fromJSON(handMadeClip()).contextLength).toBe(77);
    expect(ClipTokenizer.fromJSON(handMadeClip(), { tokenizerConfig: { model_max_length: 32 } }).contextLength).toBe(32);
    expect(ClipTokenizer.fromJSON({ ...handMadeClip(), truncation: { max_length: 12 } }).contextLength).toBe(12);
    expect(ClipTokenizer.fromJSON({ ...handMadeClip(), padding: { strategy: { Fixed: 20 }, pad_id: 520, pad_token: '<|endoftext|>' } }).contextLength).toBe(20);
    expect(tokenize(handMadeClip(), ['cat']).dims).toEqual([1, 77]);
  });

  it('reads special tokens from a TemplateProcessing post-processor (also inside a Sequence)', () => {
    const j = handMadeClip();
    const template = {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<|startoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<|endoftext|>', type_id: 0 } }],
      pair: [],
      special_tokens: {
        '<|startoftext|>': { id: '<|startoftext|>', ids: [519], tokens: ['<|startoftext|>'] },
        '<|endoftext|>': { id: '<|endoftext|>', ids: [520], tokens: ['<|endoftext|>'] },
      },
    };
    for (const pp of [template, { type: 'Sequence', processors: [{ type: 'ByteLevel', trim_offsets: false }, template] }]) {
      const tok = ClipTokenizer.fromJSON({ ...j, post_processor: pp }, { contextLength: 7 });
      expect(row(tok.tokenize(['a photo of a cat']), 0)).toEqual(expected);
    }
  });

  it('falls back to the added tokens when there is no post-processor', () => {
    const tok = ClipTokenizer.fromJSON({ ...handMadeClip(), post_processor: null }, { contextLength: 7 });
    expect(row(tok.tokenize(['a photo of a cat']), 0)).toEqual(expected);
  });

  it('applies CLIP clean-up itself when the normalizer lacks it', () => {
    const tok = ClipTokenizer.fromJSON({ ...handMadeClip(), normalizer: null }, { contextLength: 7 });
    expect(row(tok.tokenize(['  A\n PHOTO of a   Cat ']), 0)).toEqual(expected);
    const raw = ClipTokenizer.fromJSON({ ...handMadeClip(), normalizer: null }, { contextLength: 7, clean: 'never' });
    expect(row(raw.tokenize(['A cat']), 0)[1]).not.toBe(320);
  });

  it('pads with a different pad token when asked (open_clip style), EOS positions unchanged', () => {
    const tok = ClipTokenizer.fromJSON(handMadeClip(), { contextLength: 9, tokenizerConfig: { pad_token: '!' } });
    expect(tok.special.pad).toEqual({ content: '!', id: 0 });
    const b = tok.tokenize(['a photo of a cat']);
    expect(row(b, 0)).toEqual([...expected, 0, 0]);
    expect(b.eosPositions[0]).toBe(6);
    expect(ClipTokenizer.fromJSON(handMadeClip(), { padToken: '<|startoftext|>' }).special.pad.id).toBe(519);
  });

  it('truncates like CLIP: BOS + first T − 2 tokens + EOS', () => {
    const tok = ClipTokenizer.fromJSON(handMadeClip());
    const b = tok.tokenize(['a photo of a cat'], 5);
    expect(row(b, 0)).toEqual([519, 320, 515, 516, 520]);
    expect(b.truncated).toEqual([true]);
    expect(() => tok.tokenize(['cat'], 1)).toThrow(RangeError);
  });
});

describe('malformed tokenizer.json', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['not JSON', '{"model": ', /not valid JSON/],
    ['not an object', '[1, 2]', /must be a JSON object/],
    ['no model', { added_tokens: [] }, /no "model"/],
    ['vocab not an object', { model: { type: 'BPE', vocab: [], merges: [] } }, /model\.vocab/],
    ['vocab id not an integer', { model: { type: 'BPE', vocab: { a: 1.5 }, merges: [] } }, /"a" has id 1\.5/],
    ['colliding ids', { model: { type: 'BPE', vocab: { a: 0, b: 0 }, merges: [] } }, /collide/],
    ['merges missing', { model: { type: 'BPE', vocab: { a: 0 } } }, /merges/],
    ['bad merge', { model: { type: 'BPE', vocab: { a: 0 }, merges: ['abc'] } }, /merge #0/],
    ['bad added token', { ...handMadeClip(), added_tokens: [{ content: 'x' }] }, /added_tokens\[0\]/],
    ['bad section', { ...handMadeClip(), normalizer: 'lowercase' }, /"normalizer"/],
    ['unknown normalizer type', { ...handMadeClip(), normalizer: { type: 'Frobnicate' } }, /could not be loaded: .*Frobnicate/],
    ['post-processor id disagrees with vocab', { ...handMadeClip(), post_processor: { type: 'RobertaProcessing', sep: ['<|endoftext|>', 7], cls: ['<|startoftext|>', 519] } }, /id 7 .* but 520/],
    ['no way to find EOS', { ...handMadeClip(), post_processor: null, added_tokens: [] }, /cannot tell the start\/end-of-text tokens/],
    ['unknown pad token', { ...handMadeClip(), padding: { pad_token: '<pad>' } }, /padding token "<pad>"/],
  ];
  for (const [name, json, msg] of cases) {
    it(name, () => {
      let err: unknown;
      try {
        ClipTokenizer.fromJSON(json);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TokenizerJsonError);
      expect((err as Error).message).toMatch(msg);
    });
  }

  it('parseTokenizerJson accepts text and objects alike', () => {
    const j = handMadeClip();
    expect(parseTokenizerJson(JSON.stringify(j))).toEqual(j);
    expect(parseTokenizerJson(j)).toBe(j);
  });
});
