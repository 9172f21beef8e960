import { defineConfig } from "vite";

// The server's CSP is `script-src 'self'; style-src 'self'`: everything must be a file, so no
// inline module-preload polyfill and no inlined assets.
export default defineConfig({
  root: ".",
  base: "/",
  esbuild: { jsx: "automatic" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
