import { defineConfig } from "vitest/config";

// The language server over stdio, as separate processes (npm run test:lsp). Kept out of `npm test`
// because it spawns servers and needs the built dist/.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    update: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    fileParallelism: false,
  },
});
