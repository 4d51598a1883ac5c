// Plain production build; the wasm next to the package's glue is emitted as an asset.
import { defineConfig } from "vite";

export default defineConfig({
  build: { outDir: "dist", emptyOutDir: true },
  logLevel: "warn",
});
