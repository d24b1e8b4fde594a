// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Layering (ARCHITECTURE.md): each layer may import only the layers listed beside it. */
const layer = (files, forbidden) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: forbidden.map((l) => ({
          group: [`**/${l}/*`, `../${l}/*`, `../../${l}/*`],
          message: `layering: ${files[0]} may not import ${l}/`,
        })),
      },
    ],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'mtls-report/**', 'coverage/**', '.scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        performance: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        fetch: 'readonly',
        structuredClone: 'readonly',
        queueMicrotask: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Escaping control characters in reports is the point of those expressions.
      'no-control-regex': 'off',
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='process'][callee.property.name='exit']",
          message: 'only cli/ ends the process (use process.exitCode)',
        },
      ],
    },
  },
  layer(
    ['core/**/*.ts'],
    ['fixtures-gen', 'services', 'suites', 'engine', 'targets', 'reports', 'wire', 'load', 'cli'],
  ),
  layer(['fixtures-gen/**/*.ts'], ['services', 'suites', 'engine', 'targets', 'reports', 'wire', 'load', 'cli']),
  layer(['services/**/*.ts'], ['fixtures-gen', 'suites', 'engine', 'targets', 'reports', 'wire', 'load', 'cli']),
  layer(['suites/**/*.ts'], ['services', 'engine', 'targets', 'reports', 'wire', 'load', 'cli']),
  layer(['reports/**/*.ts'], ['fixtures-gen', 'services', 'suites', 'engine', 'targets', 'wire', 'load', 'cli']),
  layer(['wire/**/*.ts'], ['fixtures-gen', 'services', 'suites', 'engine', 'targets', 'reports', 'load', 'cli']),
  layer(['targets/**/*.ts'], ['suites', 'engine', 'reports', 'wire', 'load', 'cli']),
  layer(['engine/**/*.ts'], ['suites', 'reports', 'load', 'cli']),
  layer(['load/**/*.ts'], ['suites', 'reports', 'cli']),
);
