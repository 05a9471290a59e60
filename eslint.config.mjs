// ESLint: typescript-eslint's strict, type-aware rules on every TypeScript file (the server, tests,
// benchmarks and the web dashboard, each checked against its own tsconfig) and eslint's recommended
// rules on the JavaScript scripts. Formatting is Prettier's (.prettierrc.json), not ESLint's.
// Every rule that is relaxed below says why.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'web/dist/', 'src/generated/', 'coverage/', 'bench/results/', 'test/artifacts/', '.mlplane/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.mts'],
    extends: [tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['web/vite.config.mts'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Numbers print predictably in messages (`${ms} ms`); other types still need an explicit conversion.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowAny: false, allowBoolean: false, allowNever: false, allowNullish: false, allowRegExp: false },
      ],
      // `() => resolve(value)` is the idiomatic callback; a void call in a block or statement position is still reported.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
    },
  },
  {
    // Tests read GraphQL and REST responses as untyped JSON (`any`) and check their shape with expect();
    // typing every response would restate the schema in each test. `data!.field` names the value the
    // test expects: when it is missing the test fails either way.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
);
