/**
 * Text side of the groups AoS aligns: prompt templates × synonymous class names. Each class's group is every
 * template filled with every synonym; the prompt ensemble (for zero-shot classification) is every template filled
 * with the class's canonical (first) synonym.
 *
 * Templates are written with "a {}"; `fillTemplate` fixes the article for the phrase: "an ankle boot", "an 8",
 * "trousers" (plural, no article), "the number three" (has its own determiner).
 */

export const PROMPT_TEMPLATES: readonly string[] = [
  'a photo of a {}.',
  'a picture of a {}.',
  'a black and white photo of a {}.',
  'a drawing of a {}.',
  'a low resolution photo of a {}.',
  'a blurry photo of a {}.',
  'a close-up photo of a {}.',
  'a grayscale image of a {}.',
];

const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** Synonymous names per class name (first = canonical), for the classes of every bundled dataset. */
export const CLASS_SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  // Fashion-MNIST
  'T-shirt/top': ['t-shirt', 'tee', 'top'],
  Trouser: ['trousers', 'pants', 'slacks'],
  Pullover: ['pullover', 'sweater', 'jumper'],
  Dress: ['dress', 'frock', 'gown'],
  Coat: ['coat', 'jacket', 'overcoat'],
  Sandal: ['sandal', 'open-toed shoe', 'strappy sandal'],
  Shirt: ['shirt', 'button-up shirt', 'blouse'],
  Sneaker: ['sneaker', 'trainer', 'running shoe'],
  Bag: ['bag', 'handbag', 'purse'],
  'Ankle boot': ['ankle boot', 'boot', 'bootie'],
  // MNIST and digits: "3" → ["3", "three", "the number three", "digit three"]
  ...Object.fromEntries(DIGIT_WORDS.map((w, d) => [String(d), [String(d), w, `the number ${w}`, `digit ${w}`]])),
};

/** Nouns that take no indefinite article (plurale tantum / plurals used as class names). */
const NO_ARTICLE = new Set(['trousers', 'pants', 'slacks', 'jeans', 'shorts']);

/** The indefinite article a phrase takes: 'a', 'an', or '' (plural, or it has its own determiner). */
export function article(phrase: string): '' | 'a' | 'an' {
  const p = phrase.trim().toLowerCase();
  if (NO_ARTICLE.has(p) || /^(the|a|an|some)\s/.test(p)) return '';
  if (/^(8|11|18)\b/.test(p) || /^8\d*$/.test(p)) return 'an';
  if (/^(one|uni|use|eu)/.test(p)) return 'a';
  return /^[aeiou]/.test(p) ? 'an' : 'a';
}

/** Fills `{}` with the phrase, rewriting a preceding "a " to the phrase's own article. */
export function fillTemplate(template: string, phrase: string): string {
  return template.replace(/(\ba )?\{\}/, (_m, a: string | undefined) => {
    if (!a) return phrase;
    const art = article(phrase);
    return art ? `${art} ${phrase}` : phrase;
  });
}

/** Synonyms of a class (throws for an unknown class name unless `fallback` is set, which then uses the lowercased name). */
export function synonymsFor(className: string, fallback = false): readonly string[] {
  const s = CLASS_SYNONYMS[className];
  if (s) return s;
  if (fallback) return [className.toLowerCase()];
  throw new Error(`prompts: no synonyms for class "${className}"`);
}

export interface PromptOptions {
  templates?: readonly string[];
  /** Overrides or additions, by class name. */
  synonyms?: Readonly<Record<string, readonly string[]>>;
  /** Use the lowercased class name for classes without synonyms instead of throwing. */
  fallback?: boolean;
}

function synonyms(cls: string, opts: PromptOptions): readonly string[] {
  return opts.synonyms?.[cls] ?? synonymsFor(cls, opts.fallback);
}

/**
 * Per class (in the given order), the text group: every template × every synonym, template-major
 * (group[t·S + s] = template t with synonym s). Fashion-MNIST: 8 × 3 = 24 prompts per class; digits: 8 × 4 = 32.
 */
export function promptGroups(classes: readonly string[], opts: PromptOptions = {}): string[][] {
  const templates = opts.templates ?? PROMPT_TEMPLATES;
  return classes.map((cls) => {
    const syn = synonyms(cls, opts);
    return templates.flatMap((t) => syn.map((s) => fillTemplate(t, s)));
  });
}

/** Per class, the zero-shot prompt ensemble: every template with the canonical (first) synonym. */
export function promptEnsemble(classes: readonly string[], opts: PromptOptions = {}): string[][] {
  const templates = opts.templates ?? PROMPT_TEMPLATES;
  return classes.map((cls) => templates.map((t) => fillTemplate(t, synonyms(cls, opts)[0])));
}
