// A WebAssembly module imported as its bytes: esbuild's binary loader (see the row-kernel plugin in
// esbuild.js, which compiles src/core/batch/kernel/ and resolves these imports to its output).
declare module '*.wasm' {
  const bytes: Uint8Array;
  export default bytes;
}
