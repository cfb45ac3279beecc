// Two projects so `npm run test:unit` never needs a broker and the integration
// project starts exactly one broker per run (global setup), whichever path wins.
const transform = {
  "^.+\\.ts$": [
    "@swc/jest",
    { jsc: { parser: { syntax: "typescript" }, target: "es2023" }, module: { type: "commonjs" } },
  ],
};

// A context's task references are `import("./tasks/<task>.js")`: TypeScript (nodenext) names a
// .ts module by its .js in an ECMAScript import; resolve those to the .ts file, as tsx and esbuild do.
const moduleNameMapper = { "^(\\.{1,2}/.*)\\.js$": "$1" };

/** @type {import('jest').Config} */
module.exports = {
  // Global, not per project (jest ignores it there): integration and e2e tests wait on a real
  // broker, and the Pulumi mock runs bundle every function.
  testTimeout: 180_000,
  projects: [
    {
      displayName: "unit",
      testEnvironment: "node",
      transform,
      moduleNameMapper,
      setupFiles: ["<rootDir>/test/support/env.ts"],
      testMatch: ["<rootDir>/test/unit/**/*.test.ts"],
    },
    {
      displayName: "integration",
      testEnvironment: "node",
      transform,
      moduleNameMapper,
      setupFiles: ["<rootDir>/test/support/env.ts"],
      testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
      globalSetup: "<rootDir>/test/support/global-setup.ts",
      globalTeardown: "<rootDir>/test/support/global-teardown.ts",
    },
    {
      // The whole topology through the local runtime, on the same one broker per run.
      displayName: "e2e",
      testEnvironment: "node",
      transform,
      moduleNameMapper,
      setupFiles: ["<rootDir>/test/support/env.ts"],
      testMatch: ["<rootDir>/test/e2e/**/*.test.ts"],
      globalSetup: "<rootDir>/test/support/global-setup.ts",
      globalTeardown: "<rootDir>/test/support/global-teardown.ts",
    },
    {
      // Failure injection: each test owns its host broker (fixed state dir and port) because it
      // stops, restarts or starves it, so there is no shared global broker here.
      displayName: "failure",
      testEnvironment: "node",
      transform,
      moduleNameMapper,
      setupFiles: ["<rootDir>/test/support/env.ts"],
      testMatch: ["<rootDir>/test/failure/**/*.test.ts"],
    },
  ],
};
