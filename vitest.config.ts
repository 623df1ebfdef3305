import { defineConfig } from 'vitest/config';

export default defineConfig({
  // graphql 16 ships index.mjs (vite's pick) and index.js (Node's pick for the dependencies it loads);
  // two copies of graphql in one process refuse each other's types, so everyone gets Node's.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Real PostgreSQL and Redis: each test makes its own restaurant, so files can run side by side.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
