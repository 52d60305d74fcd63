import { webAssembly, type WasmApi, type WasmModule } from './kernelApi';
// The kernel compiled from kernel/kernel.ts by asc: esbuild.js builds both variants (into
// dist/kernel/, git-ignored) before it bundles, and embeds the one imported here into the bundle
// (see the row-kernel plugin there). One imports a plain memory; the other a shared one, which
// the worker's instance imports too.
import plainBytes from './kernel/kernel.wasm';
import sharedBytes from './kernel/kernel.shared.wasm';

/** The module's bytes, as shipped: the variant for a shared memory or for a plain one. */
export function kernelBytes(shared: boolean): Uint8Array {
  return shared ? sharedBytes : plainBytes;
}

const compiled: { plain?: WasmModule; shared?: WasmModule } = {};

/**
 * The kernel's module for a shared or a plain memory, compiled on first use, with WebAssembly;
 * undefined on a host without WebAssembly. Throws when the module does not compile (its bytes
 * are the build's, which compiles them too: a host that cannot is missing a feature, as SIMD).
 */
export function compiledModule(shared: boolean): { wasm: WasmApi; module: WasmModule } | undefined {
  const wasm = webAssembly();
  if (wasm === undefined) return undefined;
  const key = shared ? 'shared' : 'plain';
  compiled[key] ??= new wasm.Module(kernelBytes(shared));
  return { wasm, module: compiled[key] };
}
