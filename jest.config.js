/** One Jest run over every package; the stack (Postgres, NATS, Temporal) is started by scripts/dist/test-run.js. */
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] };

module.exports = {
  testEnvironment: 'node',
  transform,
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/web/src/', '<rootDir>/.data/', '<rootDir>/.cache/'],
  modulePathIgnorePatterns: ['<rootDir>/.cache/', '<rootDir>/.data/'],
  testTimeout: 60_000,
  setupFiles: ['<rootDir>/scripts/jest-task-queues.js'],
  // Two cores: two workers keep Postgres and the Temporal server responsive.
  maxWorkers: 2,
  reporters: ['default', ['<rootDir>/scripts/jest-summary-reporter.js', {}]],
};
