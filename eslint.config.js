// A small rule set (issue 16): the recommended rules of ESLint and typescript-eslint, plus the
// few that catch what review kept finding by hand. `npm run lint`; `npm test` runs it first.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "packaging/**/work/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", Buffer: "readonly", AbortController: "readonly", AbortSignal: "readonly", structuredClone: "readonly", fetch: "readonly", TextEncoder: "readonly", TextDecoder: "readonly", queueMicrotask: "readonly", setImmediate: "readonly", performance: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-console": "error",
    },
  },
  // Tests, scripts and fakes talk to the console and to untyped JSON by design.
  { files: ["test/**", "scripts/**", "bin/**", "packaging/**"], rules: { "no-console": "off", "@typescript-eslint/no-explicit-any": "off" } },
);
