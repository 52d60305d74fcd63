/**
 * The row kernel's WebAssembly module as its hosts see it: RowKernel on the validating thread and
 * the worker's prepare role (prepareRole.ts), each with an instance over the same memory.
 */

// The little of WebAssembly used here: the project's libraries (ES2022, Node, no DOM) declare none.
export interface WasmModule {
  readonly kind?: 'module';
}
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export interface WasmApi {
  Module: {
    new (bytes: Uint8Array): WasmModule;
    imports(module: WasmModule): { module: string; name: string; kind: string }[];
    exports(module: WasmModule): { name: string; kind: string }[];
  };
  Instance: new (module: WasmModule, imports: object) => { readonly exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared?: boolean }) => WasmMemory;
}

/** WebAssembly, or undefined on a host without it. */
export function webAssembly(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

/** The module's functions (src/core/batch/kernel/kernel.ts has what each one does). */
export interface KernelExports {
  hash(at: number, n: number, packed: number): bigint;
  add(at: number, n: number, packed: number, line: number): void;
  prepare(base: number, end: number): void;
  rows(base: number, from: number, to: number): number;
  scan(
    base: number,
    pos: number,
    row: number,
    end: number,
    columns: number,
    thirdParty: number,
    maxId: number,
    rowBudget: number,
    rowsLeft: number,
    bytesLeft: number,
    firstLine: number,
  ): number;
  dedupe(lane: number, from: number, to: number, shift: number, subMask: number, pass: number): number;
  probe(lane: number, h: bigint, line: number): number;
  clear(at: number, n: number): void;
}

/** The names of KernelExports, with each function's number of parameters. */
export const KERNEL_FUNCTIONS: Readonly<Record<keyof KernelExports, number>> = {
  hash: 3,
  add: 4,
  prepare: 2,
  rows: 3,
  scan: 11,
  dedupe: 6,
  probe: 3,
  clear: 2,
};

/** An instance of the kernel's module over `memory` (its only import). */
export function instantiateKernel(wasm: WasmApi, module: WasmModule, memory: WasmMemory): KernelExports {
  return new wasm.Instance(module, { env: { memory } }).exports as KernelExports;
}
