/**
 * Named regressions for crafted tokenizer.json files (issue #17), built from the bundled tiny-clip one: each was
 * accepted before (a 2.5 s regex, a hang, a silently wrong pooling position) and must now be a TokenizerJsonError
 * naming the field, quickly; the bundled file and the real openai CLIP split pattern still load.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClipTokenizer, TokenizerJsonError } from '../../src/text/tokenizer';

const bundled = (): Record<string, any> => JSON.parse(readFileSync('public/models/tiny-clip/tokenizer.json', 'utf8'));

function refusedFast(j: Record<string, any>, pattern: RegExp): void {
  const t0 = performance.now();
  let err: unknown;
  try {
    const tok = ClipTokenizer.fromJSON(JSON.stringify(j));
    tok.tokenize(['a'.repeat(25) + '.y']);
  } catch (e) { err = e; }
  expect(err).toBeInstanceOf(TokenizerJsonError);
  expect(String((err as Error).message)).toMatch(pattern);
  expect(performance.now() - t0).toBeLessThan(500);
}

describe('tokenizer.json is not trusted', () => {
  it('the bundled tiny-clip tokenizer and the real openai CLIP split pattern load', () => {
    expect(ClipTokenizer.fromJSON(JSON.stringify(bundled())).eosIsMaxId).toBe(true);
    const j = bundled();
    j.pre_tokenizer.pretokenizers[0].pattern.Regex = `<\\|startoftext\\|>|<\\|endoftext\\|>|${j.pre_tokenizer.pretokenizers[0].pattern.Regex}`;
    expect(ClipTokenizer.fromJSON(JSON.stringify(j)).tokenize(['a photo']).inputIds.length).toBeGreaterThan(0);
  });
  it('a Replace normalizer with a catastrophic regex (.*)*\\.x is refused, naming the field', () => {
    const j = bundled();
    j.normalizer.normalizers[1].pattern.Regex = '(.*)*\\.x';
    refusedFast(j, /normalizer\.normalizers\[1\]\.pattern\.Regex/);
  });
  it('a pre-tokenizer regex not on the allowlist is refused', () => {
    const j = bundled();
    j.pre_tokenizer.pretokenizers[0].pattern.Regex = '(a+)+$';
    refusedFast(j, /pre_tokenizer/);
  });
  it('a vocab id of 2^31 is refused instead of hanging', () => {
    const j = bundled();
    j.model.vocab.zzzz = 2 ** 31;
    refusedFast(j, /2147483648.*limit/);
  });
  it('an added token id of 2^31 is refused', () => {
    const j = bundled();
    j.added_tokens.push({ id: 2 ** 31, content: '<x>', special: true });
    refusedFast(j, /added_tokens/);
  });
  it('an EOS that is not the highest id is refused (the text pooling takes ArgMax of the ids)', () => {
    const j = bundled();
    const top = Math.max(...Object.values(j.model.vocab as Record<string, number>), ...j.added_tokens.map((t: any) => t.id));
    j.model.vocab.zzzz = top + 1;
    refusedFast(j, /highest id/);
  });
  it('truncation.max_length of 1e9 is refused', () => {
    const j = bundled();
    j.truncation.max_length = 1e9;
    refusedFast(j, /context length.*1000000000/);
  });
});
