// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Node built-ins and I/O libraries: never inside the workflow sandbox (determinism, replay). */
const NODE_BUILTINS = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http', 'http2',
  'https', 'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'timers', 'tls', 'tty', 'url', 'util',
  'v8', 'vm', 'worker_threads', 'zlib',
];
const IO_LIBRARIES = [
  'knex', 'pg', 'nats', 'express', 'pino', 'argon2', 'jsonwebtoken', 'passport', 'carbone', 'axios', 'node-fetch',
  '@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@vigie/db', '@vigie/api',
];

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/bundles/**', '.data/**', '.cache/**', 'web/src/**', 'web/*.ts', 'coverage/**', 'test-results/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Tests read loosely typed JSON responses.
    files: ['**/test/**/*.ts', '**/*.test.ts', 'web/e2e/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Workflow code: only @temporalio/workflow, @vigie/core and `import type` from activities.
    files: ['workflows/src/**/*.ts'],
    ignores: ['workflows/src/client.ts', 'workflows/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...NODE_BUILTINS.flatMap((name) => [
              { name, message: 'Node built-ins are not allowed in workflow code (deterministic sandbox).' },
              { name: `node:${name}`, message: 'Node built-ins are not allowed in workflow code (deterministic sandbox).' },
            ]),
            ...IO_LIBRARIES.map((name) => ({ name, message: 'I/O belongs in activities, not in workflow code.' })),
            { name: '@vigie/activities', allowTypeImports: true, message: 'Workflows import activities as types only.' },
          ],
          patterns: [{ group: ['@vigie/activities/*'], allowTypeImports: true, message: 'Workflows import activities as types only.' }],
        },
      ],
    },
  },
);
