// The linter for seqlab's TypeScript (typescript-eslint's recommended rules); `npm run lint`.
import tseslint from "typescript-eslint";

export default tseslint.config(
  // Built output, dependencies, and the WebAssembly binaries written as base64 by scripts/wasm.ts.
  { ignores: ["dist/**", "node_modules/**", "**/*-wasm.ts", "reports/**", ".tmp/**"] },
  ...tseslint.configs.recommended,
);
