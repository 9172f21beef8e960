import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const packageSource = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources; the built dist is only for the CLI.
    alias: {
      "@heimdal/core": packageSource("core"),
      "@heimdal/platform": packageSource("platform"),
      "@heimdal/server": packageSource("server"),
    },
  },
  test: {
    include: ["packages/*/src/**/*.test.ts", "scripts/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests create network namespaces and replay large captures; run files
    // one at a time on this 2-core machine so their timings stay meaningful.
    fileParallelism: false,
    reporters: ["default", "./scripts/vitest-summary-reporter.ts"],
  },
});
