// ESLint flat config: typescript-eslint's recommended rules (syntactic only: the type-checked set is too slow
// for this project's CI machines) on the whole tree. `npm run lint` runs it with dependency-cruiser.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'test-results/', 'playwright-report/', 'results/', 'public/', 'shared/', '.tmp/', '.node/', '.gl/', '.gpu-bundle/', 'gpu-out/', '.vite/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,js,mjs,cjs}'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      // tsc checks names (and the few .mjs/.cjs scripts use Node globals ESLint would need a globals list for).
      'no-undef': 'off',
      // `const { dropped: _dropped, ...rest } = x` is how a field is left out; `_name` marks a deliberate unused.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // gpu/context's ShaderRegistry is an empty interface on purpose: kernels/shaders fills it by declaration merging.
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'always' }],
    },
  },
  {
    // Hostile-input tests mutate parsed JSON into arbitrary shapes field by field: there `any` is the honest type.
    files: ['tests/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
