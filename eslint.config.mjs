// The linter for seqlab's TypeScript (typescript-eslint's recommended rules), run by `npm test`
// (suite lint) and `npm run lint`. Every rule switched off or relaxed says why.
import tseslint from "typescript-eslint";

export default tseslint.config(
  // Built output, dependencies, and the WebAssembly binaries written as base64 by scripts/wasm.ts.
  { ignores: ["dist/**", "node_modules/**", "**/*-wasm.ts", "reports/**", ".tmp/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      // `_name` marks a binding kept for its position: a callback's parameter list, a rest pattern that drops a key.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true }],
      // `const self = this` in functions that Node or a front end calls with a `this` of its own (timers, kernel bridges).
      "@typescript-eslint/no-this-alias": ["error", { allowedNames: ["self", "k"] }],
    },
  },
  {
    // Untyped at the boundary: Jupyter's messages and tslab's internals (kernel/), raw protocol messages and internals
    // that tests reach into (test/), vega / vega-lite / plotly specs and widget state, which are JSON of other
    // projects' schemas (src/plot, src/display, src/widgets). The rest of the library is typed without `any`.
    files: ["kernel/**", "test/**", "bench/**", "scripts/**", "src/plot/**", "src/display/**", "src/widgets/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    // require() on purpose: modules loaded on first use (start-up time, the kernel's V8 snapshot cannot hold native
    // or wasm modules) and optional ones (tfjs-node, tfjs-backend-wasm's thread count, resvg's native binding).
    files: ["kernel/**", "test/**", "bench/**", "scripts/**", "src/backend/**", "src/plot/render.ts"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
