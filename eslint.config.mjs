// ESLint: typescript-eslint's strict, type-aware rules on every TypeScript file (the server, tests,
// benchmarks and the web dashboard, each checked against its own tsconfig) and eslint's recommended
// rules on the JavaScript scripts. Formatting is Prettier's (.prettierrc.json), not ESLint's.
// Every rule that is relaxed below says why.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'web/dist/', 'src/generated/', 'coverage/', 'bench/results/', 'bench/.venv/', 'test/artifacts/', '.mlplane/'] },
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
      // `() => resolve(value)` and `return next()` in a function returning void are the idiomatic
      // callback and early exit; a void value used anywhere else is still reported.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true, ignoreVoidReturningFunctions: true }],
      // A parameter that must be declared but is not read (a decorated GraphQL argument that only
      // shapes the schema, Express' four-argument error handler) starts with an underscore, as does
      // a property left out of a rest copy.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Interfaces that take a promise (Apollo plugin hooks, job handlers, jest callbacks) are met by
      // `async` functions that need no await; no-floating-promises and no-misused-promises still
      // check how promises are handled.
      '@typescript-eslint/require-await': 'off',
      // Passing on a caught error of unknown type (a stream's, a listener's) keeps it as it came.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // A `let` that closures created before it is set will read (set once, after an await) stays a `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // type-graphql declares object and input types as classes that describe a shape: resolvers return
    // plain objects of that shape (type-graphql reads their fields, nothing checks instanceof), and
    // spread the input instances it built into plain domain objects (they carry no methods).
    // GraphQL enums are TypeScript string enums whose values are the database's strings, which the
    // mapping from rows asserts (issue 10's persistence boundary replaces these rows with domain types).
    files: ['src/graphql/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      '@typescript-eslint/no-misused-spread': 'off',
      '@typescript-eslint/no-unsafe-enum-assignment': 'off',
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
    },
  },
  {
    // Validators of client JSON that is typed as the shape it should have (a model architecture, a
    // run's hyperparameters, prediction instances): the null and the wrong types that those types
    // rule out are what these checks exist to refuse.
    files: ['src/ml/hyperparameters.ts', 'src/ml/model-builder.ts', 'src/ml/serving/prediction-request.ts'],
    rules: { '@typescript-eslint/no-unnecessary-condition': 'off' },
  },
  {
    // Tests read GraphQL and REST responses as untyped JSON (`any`) and check their shape with expect();
    // typing every response would restate the schema in each test. `data!.field` names the value the
    // test expects: when it is missing the test fails either way. afterAll hooks close what beforeAll
    // may not have opened (`server?.close()`), whatever the variable's declared type; services that
    // enqueue nothing in a test get `{} as JobQueue`; a test server's admin key is set on every server
    // a test sends it to.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowAny: true, allowNullish: true, allowBoolean: false, allowNever: false, allowRegExp: false },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
);
