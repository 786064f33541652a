import { describe, expect, it } from 'vitest';
import { Tokenizer } from '@huggingface/tokenizers';
import { byteAlphabet, clipNormalize, makeClipTokenizerJson, trainBpe } from '../../src/text/makeTokenizer';
import { ClipTokenizer } from '../../src/text/tokenizer';

const classes = ['cat', 'dog', 'golden retriever', 'tabby cat', 'airplane', 'aeroplane', 'automobile', 'car', 'bird', 'frog'];
const templates = ['a photo of a {}.', 'a blurry photo of a {}.', 'a drawing of the {}.', 'itap of my {}.'];
const corpus = templates.flatMap((t) => classes.map((c) => t.replace('{}', c)));

/** First index of the maximum, like ArgMax / torch.argmax. */
function argmaxRow(ids: BigInt64Array, row: number, T: number): number {
  let best = 0;
  for (let t = 1; t < T; t++) if (ids[row * T + t] > ids[row * T + best]) best = t;
  return best;
}

describe('makeClipTokenizerJson', () => {
  const json = makeClipTokenizerJson(corpus, { vocabSize: 1024 });
  const tok = ClipTokenizer.fromJSON(JSON.stringify(json), { contextLength: 16 });

  it('has the CLIP layout: byte alphabet, </w> variants, merges, BOS = EOS − 1 = highest − 1', () => {
    const vocab = json.model.vocab;
    const alphabet = byteAlphabet();
    expect(alphabet).toHaveLength(256);
    expect(new Set(alphabet.map(([b]) => b)).size).toBe(256);
    alphabet.forEach(([, c], i) => {
      expect(vocab[c]).toBe(i);
      expect(vocab[c + '</w>']).toBe(256 + i);
    });
    expect(vocab['!']).toBe(0);
    expect(vocab['a</w>']).toBe(320); // as in real CLIP
    const ids = Object.values(vocab).sort((a, b) => a - b);
    ids.forEach((id, i) => expect(id).toBe(i)); // dense 0..V-1
    const eos = vocab['<|endoftext|>'];
    expect(eos).toBe(ids.length - 1);
    expect(vocab['<|startoftext|>']).toBe(eos - 1);
    expect(json.post_processor.sep).toEqual(['<|endoftext|>', eos]);
    expect(json.post_processor.cls).toEqual(['<|startoftext|>', eos - 1]);
    expect(json.added_tokens.map((t) => t.id)).toEqual([eos - 1, eos]);
    expect(json.model.merges.length).toBeGreaterThan(0);
    // Every merge joins two existing tokens into one that is in the vocabulary.
    for (const m of json.model.merges) {
      const [a, b] = m.split(' ');
      expect(vocab[a]).toBeDefined();
      expect(vocab[b]).toBeDefined();
      expect(vocab[a + b]).toBeDefined();
    }
    expect(tok.eosIsMaxId).toBe(true);
    expect(tok.special.pad.id).toBe(eos);
  });

  it('encodes known prompts: BOS, EOS and padding positions; argmax of ids is the EOS position', () => {
    const eos = json.model.vocab['<|endoftext|>'];
    const bos = eos - 1;
    const prompts = ['a photo of a golden retriever.', 'A   Photo of a CAT', 'a photo of a xylophone', ''];
    const batch = tok.tokenize(prompts);
    expect(batch.dims).toEqual([4, 16]);
    const T = 16;
    // Corpus words are single tokens (the corpus is small and vocabSize is ample).
    expect(tok.tokens('a photo of a golden retriever.')).toEqual(['a</w>', 'photo</w>', 'of</w>', 'a</w>', 'golden</w>', 'retriever</w>', '.</w>']);
    expect(batch.eosPositions[0]).toBe(8);
    expect(batch.eosPositions[1]).toBe(6);
    expect(batch.eosPositions[3]).toBe(1);
    for (let b = 0; b < 4; b++) {
      const e = batch.eosPositions[b];
      expect(batch.inputIds[b * T]).toBe(BigInt(bos));
      expect(batch.inputIds[b * T + e]).toBe(BigInt(eos));
      for (let t = 1; t < e; t++) expect(batch.inputIds[b * T + t]).toBeLessThan(BigInt(bos));
      for (let t = e; t < T; t++) expect(batch.inputIds[b * T + t]).toBe(BigInt(eos));
      expect(argmaxRow(batch.inputIds, b, T)).toBe(e);
      expect(batch.lengths[b]).toBe(e + 1);
      expect(batch.truncated[b]).toBe(false);
    }
    // Out-of-vocabulary word: split into pieces, still no unknown token.
    expect(batch.eosPositions[2]).toBeGreaterThan(6);
  });

  it('truncates long prompts to T − 2 tokens and keeps EOS last', () => {
    const batch = tok.tokenize(['a photo of a cat a photo of a dog a photo of a bird a photo of a frog'], 8);
    expect(batch.truncated[0]).toBe(true);
    expect(batch.eosPositions[0]).toBe(7);
    expect(Array.from(batch.inputIds.slice(0, 8), Number)).toEqual([
      tok.special.bos!.id, ...tok.encodeText('a photo of a cat a').slice(0, 6), tok.special.eos.id,
    ]);
  });

  it('round-trips in- and out-of-vocabulary text (encode → decode gives the normalised text)', () => {
    const lib = new Tokenizer(json, {});
    const texts = [
      'a photo of a golden retriever',
      'A Blurry PHOTO of the  Tabby\tCat',
      'xylophonist quokka zzyzx',
      'café naïve façade',
      '日本 の 猫',
      'emoji 🐱 cat',
      "the dog's toy",
    ];
    for (const t of texts) {
      const want = clipNormalize(t).trim();
      expect(tok.decode(tok.tokenize([t], 64).inputIds)).toBe(want);
      // The library alone, too (its ByteLevel decoder + </w> handling).
      expect(lib.decode(lib.encode(t).ids, { skip_special_tokens: true })).toBe(want);
    }
    // Punctuation is split off by CLIP's pre-tokenizer; decode's clean-up joins it back.
    expect(tok.decode(tok.tokenize(['a photo of a cat.'], 64).inputIds)).toBe('a photo of a cat.');
  });

  it('is deterministic and independent of the order of the texts', () => {
    const a = JSON.stringify(makeClipTokenizerJson(corpus, { vocabSize: 1024 }));
    const b = JSON.stringify(makeClipTokenizerJson(corpus, { vocabSize: 1024 }));
    const shuffled = [...corpus].reverse();
    [shuffled[0], shuffled[5]] = [shuffled[5], shuffled[0]];
    const c = JSON.stringify(makeClipTokenizerJson(shuffled, { vocabSize: 1024 }));
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it('respects vocabSize and minFrequency', () => {
    const small = makeClipTokenizerJson(corpus, { vocabSize: 530 });
    expect(Object.keys(small.model.vocab)).toHaveLength(530);
    expect(small.model.vocab['<|endoftext|>']).toBe(529);
    const frequent = makeClipTokenizerJson(corpus, { vocabSize: 4096, minFrequency: 5 });
    expect(frequent.model.vocab['photo</w>']).toBeDefined(); // 20 occurrences
    // 4 occurrences: the last merge that would make this token has a pair seen only in this word.
    expect(frequent.model.vocab['retriever</w>']).toBeUndefined();
    expect(() => makeClipTokenizerJson(corpus, { vocabSize: 100 })).toThrow(/vocabSize/);
    const bare = makeClipTokenizerJson([]);
    expect(Object.keys(bare.model.vocab)).toHaveLength(514);
    const t = ClipTokenizer.fromJSON(bare);
    expect(t.decode(t.tokenize(['anything at all']).inputIds)).toBe('anything at all');
  });

  it('trainBpe merges the most frequent pair first, ties by string order', () => {
    // Pairs: (a, b</w>) ×3, (c, d</w>) ×3, (a, b) ×1, (b, x</w>) ×1.
    const merges = trainBpe(new Map([['cd', 3], ['ab', 3], ['abx', 1]]), 10);
    expect(merges).toEqual([['a', 'b</w>'], ['c', 'd</w>'], ['a', 'b'], ['ab', 'x</w>']]);
    expect(trainBpe(new Map([['cd', 3], ['ab', 3], ['abx', 1]]), 2)).toEqual([['a', 'b</w>'], ['c', 'd</w>']]);
    expect(trainBpe(new Map([['cd', 3], ['ab', 3], ['abx', 1]]), 10, 2)).toEqual([['a', 'b</w>'], ['c', 'd</w>']]);
  });
});
