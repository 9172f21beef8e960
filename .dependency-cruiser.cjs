/** Layering rules of ../shared/ARCHITECTURE.md, checked in CI (`npm run layering`). */
module.exports = {
  forbidden: [
    {
      name: "core-imports-nothing-of-ours",
      comment: "core is pure shared logic: it imports no other Heimdal package",
      severity: "error",
      from: { path: "^packages/core/" },
      to: { path: "^packages/(?!core/)|@heimdal/(?!core)" },
    },
    {
      name: "core-no-node-or-native",
      comment:
        "core imports no Node built-in or native module, so it runs anywhere (tests and test utilities, which stay out of dist, excepted)",
      severity: "error",
      from: { path: "^packages/core/src/", pathNot: "\\.test(-util)?\\.ts$" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "core-no-npm-dependencies",
      comment: "core has no runtime npm dependencies beyond pure-JS data packages we list explicitly",
      severity: "error",
      from: { path: "^packages/core/src/", pathNot: "\\.test(-util)?\\.ts$" },
      to: {
        dependencyTypes: ["npm", "npm-dev", "npm-optional", "npm-peer", "npm-no-pkg", "npm-unknown"],
        pathNot: "^node_modules/(@heimdal/core)",
      },
    },
    {
      name: "platform-imports-only-core",
      comment: "platform may use core, never the server, a product or the CLI",
      severity: "error",
      from: { path: "^packages/platform/" },
      to: {
        path: "^packages/(cli|server|hardware|desktop|dashboard|asgard)/|@heimdal/(cli|server|hardware|desktop|dashboard|asgard)",
      },
    },
    {
      name: "server-imports-only-core-and-platform",
      comment: "the API server may use core and platform; the products and the CLI wire it, never the reverse",
      severity: "error",
      from: { path: "^packages/server/" },
      to: {
        path: "^packages/(cli|hardware|desktop|dashboard|asgard)/|@heimdal/(cli|hardware|desktop|dashboard|asgard)",
      },
    },
    {
      name: "dashboard-client-imports-no-heimdal-package",
      comment: "the dashboard's client code talks to the server over HTTP only, never through its modules",
      severity: "error",
      from: { path: "^packages/dashboard/src/app/" },
      to: { path: "^packages/(?!dashboard/)|@heimdal/" },
    },
    {
      name: "dashboard-client-no-node",
      comment: "the dashboard's client code runs in a browser: no Node built-in",
      severity: "error",
      from: { path: "^packages/dashboard/src/app/" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "no-circular",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(dist|node_modules|build)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.base.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
  },
};
