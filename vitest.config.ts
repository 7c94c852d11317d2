import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**", "node_modules/**"],
    // Golden files are never created or rewritten implicitly; update with `npx vitest run -u`.
    update: false,
    testTimeout: 20_000,
    pool: "threads",
  },
});
