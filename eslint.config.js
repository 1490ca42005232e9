// Lint: syntax-level rules everywhere, plus two type-aware rules (issue 23) on every package's
// src/ and the e2e suites: a promise nobody awaits or catches (no-floating-promises), or one
// handed to a place that ignores it, e.g. an async event handler (no-misused-promises), is an
// error. Types come from each directory's own tsconfig.json (the typescript-eslint project service).
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const root = fileURLToPath(new URL('.', import.meta.url));
// Packages whose src/ is not clean yet: the rules warn there (counts in the issue-23 report).
// Remove a package from this list once `npx eslint .` in it shows no such warning.
const TYPED_NOT_CLEAN_YET = []; // every package's src is clean now
const typedRules = ['@typescript-eslint/no-floating-promises', '@typescript-eslint/no-misused-promises'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/generated/**', '**/.nx/**', '**/.tsbuild/**', 'bench-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', performance: 'readonly', queueMicrotask: 'readonly', structuredClone: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['packages/*/src/**/*.ts', 'e2e/test/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } },
    rules: Object.fromEntries(typedRules.map((r) => [r, 'error'])),
  },
  ...(TYPED_NOT_CLEAN_YET.length === 0 ? [] : [{
    files: TYPED_NOT_CLEAN_YET.map((p) => `packages/${p}/src/**/*.ts`),
    rules: Object.fromEntries(typedRules.map((r) => [r, 'warn'])),
  }]),
);
