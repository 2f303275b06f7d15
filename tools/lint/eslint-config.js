// fuseflow's ESLint configuration (the root eslint.config.js re-exports it, so that these imports
// resolve from tools/lint/node_modules, installed by `npm run lint:install`).
// TypeScript files are linted type-aware against tsconfig.json (typescript-eslint's project
// service, with tools/lint's TypeScript 6.0: the project's TypeScript 7 has no JS API).
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Node's globals, for the few plain JavaScript files (bin/, worker bootstraps). */
const nodeGlobals = { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' };

export default tseslint.config(
  {
    ignores: ['dist/**', '**/node_modules/**', 'data/**', 'test/fixtures/**', 'runs/**', 'out/**', '.cache/**', 'bench/.data/**'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    plugins: { 'import-x': importX },
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['vitest.config.ts'] },
        tsconfigRootDir: root,
      },
    },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: `${root}/tsconfig.json` })],
    },
    rules: {
      // Promises: every one awaited or handled, none passed where a void callback is expected.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // STYLE.md 9 and 15: say what a value is instead of asserting it.
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      eqeqeq: ['error', 'always'],
      // Passing on an error of unknown type (an iterator's throw(err), a subscriber's error) keeps what
      // was thrown; rejecting with a new non-Error value (a string, a literal) is still an error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // STYLE.md 13: folders import downward, never in a circle.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // An unused binding named _x is deliberate (a positional parameter kept for its signature).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tests index arrays and maps they just built; a wrong index fails the test at once, so `x!` says no less there.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: nodeGlobals },
  },
);
