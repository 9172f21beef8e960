import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const depcruise = join(root, "node_modules/.bin/depcruise");
const sandbox = mkdtempSync(join(tmpdir(), "heimdal-layering-"));
cpSync(join(root, ".dependency-cruiser.cjs"), join(sandbox, ".dependency-cruiser.cjs"));
cpSync(join(root, "tsconfig.base.json"), join(sandbox, "tsconfig.base.json"));

afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

/** Lays out a miniature tree and runs the real layering check over it. */
function cruise(files: Record<string, string>): { ok: boolean; output: string } {
  const tree = mkdtempSync(join(sandbox, "tree-"));
  cpSync(join(sandbox, ".dependency-cruiser.cjs"), join(tree, ".dependency-cruiser.cjs"));
  cpSync(join(sandbox, "tsconfig.base.json"), join(tree, "tsconfig.base.json"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(tree, path)), { recursive: true });
    writeFileSync(join(tree, path), text);
  }
  try {
    const output = execFileSync(depcruise, ["packages", "--config", ".dependency-cruiser.cjs"], {
      cwd: tree,
      encoding: "utf8",
    });
    return { ok: true, output };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

describe("layering check", () => {
  it("accepts core importing core and platform importing core", () => {
    const result = cruise({
      "packages/core/src/a.ts": "export const a = 1;\n",
      "packages/core/src/b.ts": 'import { a } from "./a.js";\nexport const b = a;\n',
      "packages/platform/src/c.ts": 'import { b } from "../../core/src/b.js";\nexport const c = b;\n',
    });
    expect(result.output).toContain("no dependency violations");
    expect(result.ok).toBe(true);
  });

  it("rejects core importing a Node built-in", () => {
    const result = cruise({
      "packages/core/src/a.ts": 'import { readFileSync } from "node:fs";\nexport const a = readFileSync;\n',
    });
    expect(result.ok).toBe(false);
    expect(result.output).toContain("core-no-node-or-native");
  });

  it("rejects core importing platform code", () => {
    const result = cruise({
      "packages/platform/src/p.ts": "export const p = 1;\n",
      "packages/core/src/a.ts": 'import { p } from "../../platform/src/p.js";\nexport const a = p;\n',
    });
    expect(result.ok).toBe(false);
    expect(result.output).toContain("core-imports-nothing-of-ours");
  });

  it("rejects platform importing a product", () => {
    const result = cruise({
      "packages/cli/src/main.ts": "export const m = 1;\n",
      "packages/platform/src/p.ts": 'import { m } from "../../cli/src/main.js";\nexport const p = m;\n',
    });
    expect(result.ok).toBe(false);
    expect(result.output).toContain("platform-imports-only-core");
  });
});
