import * as fs from 'fs';
import { dedupePartition, type LogPartition } from './dedupe';
import { KeyBuffer, type IdSet } from './idIndex';
import {
  instantiateKernel,
  webAssembly,
  type KernelExports,
  type WasmApi,
  type WasmMemory,
  type WasmModule,
} from './kernelApi';
import { reportKernelFallback } from './kernelFallback';
import { MAX_LINE_BYTES } from './scan';
import { compiledModule } from './kernelModule';
import {
  BYTES_AT,
  CHUNK_BITS,
  CLAIMED,
  END_AT,
  FIXED_PAGES,
  FREE,
  FULL_AT,
  HASH_MASK_AT,
  HEX_AT,
  KERNEL_CHUNK_BYTES,
  KEY_AT,
  KEY_BYTES,
  KEY_SLACK,
  LANES_AT,
  LANE_STRIDE,
  MAX_CHUNKS,
  MAX_KERNEL_ID,
  NEXT_AT,
  NEXT_CHUNK_AT,
  NO_LINE,
  PARTITIONS,
  PARTITION_BITS,
  READY,
  RECORD_BYTES,
  ROWS_AT,
  SEGMENT_BYTES,
  SLOTS,
  SLOTS_AT,
  SLOT_BYTES,
  SLOT_CHUNK_AT,
  SLOT_LENGTH_AT,
  SLOT_STATE_AT,
  TABLE_FULL,
} from './kernel/layout';
import type { DedupeAnswer, DedupeRequest, PrepareJob, PrepareWorkerData } from './prepareRole';
import { batchWorkerScript } from './workerScript';

/**
 * A WebAssembly kernel for the clean rows of a batch file read from disk, and the file's id table.
 *
 * A JavaScript loop that looks at each byte of a 50 MB file once costs several times what reading
 * the file costs, so the rows that make up almost all of a real file (printable ASCII, escapes
 * well formed, nothing to report) are checked here instead, in two passes over each chunk:
 *
 * - prepare: classify, 64 bytes a step, one bit per byte in four bit arrays: LF, comma, %, and
 *   "bad" (anything a clean row may not hold: controls, space, DEL, non-ASCII, & + ", and a % not
 *   followed by two hex digits), with no branches on the data; then ids, a record per row of the
 *   chunk with its id's decoded length, flags and hash (the only byte-by-byte work: the escapes).
 * - scan: row by row, reading 64 bits of those arrays at a time: the LF that ends the row, the
 *   comma that ends the id, the bad bits and the commas between, then the id's record, with a
 *   few instructions a row, and the id's hash into the log. A row with bad bits stops the scan
 *   unless every one is a space inside a field (not at either edge of a field, nor in an escape),
 *   which scanRow takes as written: rows like `crm-1,New York,gold` are accepted, each of their
 *   spaces looked at once; rows without bad bits never pay for that look.
 *
 * Preparing is most of the work and needs nothing but the chunk, so a worker thread sharing the
 * memory reads and prepares chunks ahead of the scan, and the main thread prepares a later chunk
 * itself whenever the worker is busy with the one it needs (see take): a validation uses two
 * cores. Only the scan, which carries the file's state (lines, the upload planner, the log), is
 * the main thread's alone.
 *
 * The kernel is a filter in front of scanRow (scan.ts), the one scanner of the rules: it only
 * proves rows clean. It stops at the first row it has any doubt about (a space at a field's edge, a
 * long field, an id over the limit, a row near the 64 KB data limit) and leaves that row to scanRow,
 * which decides exactly. Every row it accepts, scanRow finds nothing in, with the same id; the unit
 * tests check that.
 *
 * Ids (for TP014) are logged as a 64-bit hash of the decoded id and its line, not as bytes:
 * storing 25 MB of ids for the 500,000-row bench file cost more in page faults than the whole
 * scan. After the pass, a hash seen before makes the row a *candidate* duplicate (see
 * candidates); validateFile confirms every candidate by reading those lines again and comparing
 * their decoded ids exactly (see confirmDuplicates in validator.ts), so no two different ids are
 * ever reported as one, whatever their hashes. With 64-bit hashes a file without duplicates has
 * no candidates, practically always, and is read once.
 *
 * The rows scanRow takes log their ids the same way through `addKey` (this class is then the
 * validation's IdSet), so a duplicate is found whichever path either row took.
 *
 * The kernel is written in AssemblyScript (kernel/kernel.ts), compiled by asc when esbuild.js
 * builds, and embedded in the bundle (kernelModule.ts). Its memory layout is kernel/layout.ts,
 * which both compilers read: one instance per validation at a time, so concurrent validations
 * never share it. The worker is the batch worker's 'prepare' role (prepareRole.ts), started from
 * its own script (worker.ts, dist/batchWorker.js).
 *
 * Where WebAssembly is missing, validateFile runs without the kernel; where the worker script,
 * shared memory or the worker itself is missing, the kernel runs on one thread. Either is told to
 * the listeners of onKernelFallback (kernelFallback.ts), once.
 */

export { KERNEL_CHUNK_BYTES };
/** The memory a kernel starts with, for tests of a memory that cannot grow. */
/**
 * Room for a key longer than the fixed key area, kept above the fixed part from the start: the
 * longest id a line of MAX_LINE_BYTES can hold, at two bytes a unit. Never touched, it costs no
 * memory; kept from the start, a key never waits for the memory to grow (it may not).
 */
const BIG_KEY_BYTES = 2 * MAX_LINE_BYTES;
const BIG_KEY_AT = FIXED_PAGES * 65536;
const KERNEL_PAGES = FIXED_PAGES + Math.ceil((BIG_KEY_BYTES + KEY_SLACK) / 65536);
/** The memory a kernel takes at its creation. */
export const KERNEL_FIXED_BYTES = KERNEL_PAGES * 65536;
/** The largest file the kernel reads (1 TiB): chunk numbers fit the claim word below it. */
export const KERNEL_MAX_FILE_BYTES = MAX_CHUNKS * KERNEL_CHUNK_BYTES;
/** Validations are numbered in the claim word's bits above the chunk's. */
const JOBS = 1 << (31 - CHUNK_BITS);
/** The memory's largest size: WebAssembly's 4 GiB. */
const MAX_PAGES = 65536;

const laneBase = (lane: number) => LANES_AT + lane * LANE_STRIDE;
const slotBase = (slot: number) => SLOTS_AT + slot * SLOT_BYTES;

/**
 * How a kernel is made. Tests use all but `shared`; validateFile asks for none (see acquire for
 * how a test hands it a kernel made with some).
 */
export interface RowKernelOptions {
  /** The most memory the kernel may use (tests of a memory that cannot grow); 4 GiB by default. */
  readonly maxBytes?: number;
  /** A memory a worker can share (acquire asks for one); create makes a plain one by default. */
  readonly shared?: boolean;
  /** Hashes are and-ed with this: a small mask makes different ids collide often. All ones by default. */
  readonly hashMask?: bigint;
  /** The id log grows by segments of this size (at most the default, 256 KiB): small ones fill in small files. */
  readonly segmentBytes?: number;
  /** Every chunk is left to the worker, none read here while it runs. */
  readonly workerOnly?: boolean;
  /** The worker's script; batchWorkerScript() by default. */
  readonly workerScript?: string;
}

/** Whether two sets of options make the same kernel (acquire keeps one of either). */
function sameOptions(a: RowKernelOptions, b: RowKernelOptions): boolean {
  return (
    (a.maxBytes ?? 2 ** 32) === (b.maxBytes ?? 2 ** 32) &&
    (a.hashMask ?? -1n) === (b.hashMask ?? -1n) &&
    (a.segmentBytes ?? SEGMENT_BYTES) === (b.segmentBytes ?? SEGMENT_BYTES) &&
    (a.workerOnly ?? false) === (b.workerOnly ?? false) &&
    a.workerScript === b.workerScript
  );
}

const NO_CURSOR = { slot: -1, pos: 0, row: 0 };

/** How long a kernel no validation uses is kept for the next one. */
const IDLE_MS = 20_000;
const pool: { idle?: RowKernel; timer?: ReturnType<typeof setTimeout> } = {};

/**
 * Waits (without blocking the thread) until word `index` is no longer `value`, or `timeoutMs`.
 * Only a shared memory can be waited on; another one is only ever changed by this thread.
 */
async function waitFor(words: Int32Array, index: number, value: number, timeoutMs = 1000): Promise<void> {
  const waitAsync = (
    Atomics as unknown as {
      waitAsync?: (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: unknown };
    }
  ).waitAsync;
  if (waitAsync && typeof SharedArrayBuffer !== 'undefined' && words.buffer instanceof SharedArrayBuffer) {
    const result = waitAsync(words, index, value, timeoutMs);
    if (!result.async) return;
    // A wait does not keep Node's event loop alive (the worker is unref'd too): a timer does.
    const alive = setTimeout(() => undefined, timeoutMs + 10);
    try {
      await result.value;
    } finally {
      clearTimeout(alive);
    }
    return;
  }
  await new Promise((resolve) => setTimeout(resolve, Math.min(timeoutMs, 1)));
}

interface WorkerLike {
  postMessage(message: unknown): void;
  terminate(): Promise<number>;
  unref(): void;
  on(event: 'error' | 'message', listener: (value: never) => void): void;
  off(event: 'message', listener: (value: never) => void): void;
}

/**
 * The kernel of one validation over its own memory, or undefined where WebAssembly is missing;
 * also the validation's id set (see the file comment). Growing the memory replaces its buffer, so
 * `chunks` and the other views are taken anew after any call that may grow it (scan, addKey): the
 * caller takes its chunk from `chunks` again.
 */
export class RowKernel extends KeyBuffer implements IdSet {
  /** Each slot's chunk (KERNEL_CHUNK_BYTES): the file is read into them. */
  chunks!: Buffer[];
  /** Rows the last scan accepted, and their bytes with their LFs. */
  count = 0;
  bytes = 0;
  /** Whether scan still runs: false once the memory could not grow. */
  usable = true;
  /** Each partition's full log segments, [from, to) pairs; the open one is at NEXT_AT / `opened`. */
  private readonly segments: [number, number][][] = Array.from({ length: PARTITIONS }, () => []);
  private readonly opened = new Array<number>(PARTITIONS).fill(0);
  /** Ids logged once the memory could not grow: their hashes and lines, by partition. */
  private readonly overflow: { hashes: bigint[]; lines: number[] }[] = Array.from({ length: PARTITIONS }, () => ({
    hashes: [],
    lines: [],
  }));
  private readonly segmentBytes: number;
  /** Log segments of an earlier validation, free for this one. */
  private readonly spare: number[] = [];
  /** Room for a key longer than the fixed key area. */
  private memory!: Uint8Array;
  private words!: Int32Array;
  private readonly exports: KernelExports;
  /** The preparing worker, once started (see acquire); undefined where workers are missing or failed. */
  private worker: WorkerLike | undefined;
  /** This validation's number, in the claim word's top bits, and the file's size when it started. */
  private job = 0;
  private jobSize = 0;
  /** Reads the main thread started for chunks it claimed, by chunk. */
  private readonly reads = new Map<number, Promise<number>>();
  /** Who waits for the worker's dedupe answer. */
  private answer: ((results: number[][] | undefined) => void) | undefined;
  /** False once the worker failed to answer: it may still write to the memory, which must not be reused. */
  private healthy = true;
  /** Where the last scan stopped and the ordinal of the row there; NO_CURSOR once the chunk changes. */
  private cursor = NO_CURSOR;

  private constructor(
    wasm: WasmApi,
    private readonly module: WasmModule,
    private readonly wasmMemory: WasmMemory,
    private readonly shared: boolean,
    private readonly hex: Int8Array,
    private readonly options: RowKernelOptions,
  ) {
    super();
    this.exports = instantiateKernel(wasm, module, wasmMemory);
    this.segmentBytes = Math.min(options.segmentBytes ?? SEGMENT_BYTES, SEGMENT_BYTES);
    this.refresh();
    for (let c = 0; c < 256; c++) this.memory[HEX_AT + c] = hex[c] < 0 ? 255 : hex[c];
    this.reset();
  }

  /**
   * A kernel with `hex` (the value of each hex digit's byte, -1 for other bytes), with a plain
   * memory unless `options.shared` asks for one a worker can share (see acquire); undefined where
   * WebAssembly is missing or the kernel cannot be made, which is told to the listeners of
   * onKernelFallback.
   */
  static create(hex: Int8Array, options: RowKernelOptions = {}): RowKernel | undefined {
    const made = RowKernel.make(hex, options);
    if (made instanceof RowKernel) return made;
    reportKernelFallback(
      'kernel',
      `${made.message}: batch files are validated without the WebAssembly kernel (slower)`,
      made.error,
    );
    return undefined;
  }

  /** A kernel (see create), or why there is none. */
  private static make(hex: Int8Array, options: RowKernelOptions): RowKernel | { message: string; error?: unknown } {
    const shared = options.shared ?? false;
    let compiled;
    try {
      compiled = compiledModule(shared);
    } catch (error) {
      return { message: `the row kernel's WebAssembly module did not compile (${String(error)})`, error };
    }
    if (compiled === undefined) return { message: 'this host has no WebAssembly' };
    try {
      const memory = new compiled.wasm.Memory({
        initial: KERNEL_PAGES,
        maximum: Math.min(MAX_PAGES, Math.floor((options.maxBytes ?? 2 ** 32) / 65536)),
        shared,
      });
      return new RowKernel(compiled.wasm, compiled.module, memory, shared, hex, options);
    } catch (error) {
      return { message: `the row kernel could not be instantiated (${String(error)})`, error };
    }
  }

  /**
   * The kernel the last validation let go (see release), emptied, or a new one. A new kernel's
   * memory is mapped by the system page by page as it is first written, about 2,000 page faults
   * (several milliseconds) for a 500,000-row file, and its worker takes some 40 ms to start: a
   * validation after another one, as when the command line checks several files or the editor
   * checks a file again, skips both.
   *
   * The kernel's memory is shared with a worker thread that reads and prepares the chunks ahead
   * of the scan (see take), so that a validation runs on two cores; where workers or shared memory
   * are missing, the main thread does it all.
   *
   * Without `options`, the kernel kept is taken whatever options made it; with them, only one
   * they would make (another one kept is let go). So a test hands validateFile, which acquires
   * with none, a kernel of its own: it acquires one with options and releases it.
   */
  static acquire(hex: Int8Array, options?: RowKernelOptions): RowKernel | undefined {
    const kept = pool.idle;
    if (kept) {
      pool.idle = undefined;
      clearTimeout(pool.timer);
      if (kept.hex === hex && (options === undefined || sameOptions(kept.options, options))) {
        kept.reset();
        return kept;
      }
      kept.discard();
    }
    const wanted = { ...options, shared: true };
    const kernel = RowKernel.make(hex, wanted);
    if (kernel instanceof RowKernel) {
      kernel.startWorker();
      return kernel;
    }
    // A host without WebAssembly has no kernel at all: create says so.
    if (webAssembly() !== undefined) {
      reportKernelFallback('worker', `${kernel.message}: the batch kernel runs on one thread (slower)`, kernel.error);
    }
    return RowKernel.create(hex, { ...options, shared: false });
  }

  /**
   * Lets the kernel go once its validation has ended (see endJob): kept for the next validation
   * for IDLE_MS (one kernel at most, and not one whose memory ran out), then its worker stops and
   * it is left to the garbage collector.
   */
  release(): void {
    if (!this.usable || !this.healthy || pool.idle !== undefined) {
      void this.worker?.terminate();
      return;
    }
    pool.idle = this;
    pool.timer = setTimeout(() => {
      if (pool.idle === this) pool.idle = undefined;
      void this.worker?.terminate();
    }, IDLE_MS);
    pool.timer.unref?.();
  }

  /** Stops the worker and leaves the kernel to the garbage collector: for a kernel that cannot be reused. */
  discard(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }

  /** Starts the worker (the batch worker's prepare role) over this kernel's shared memory. */
  private startWorker(): void {
    if (!this.shared) return;
    const script = this.options.workerScript ?? batchWorkerScript();
    if (script === undefined || !fs.existsSync(script)) {
      reportKernelFallback(
        'worker',
        `the batch worker's script (${script ?? 'batchWorker.js'}) is missing: the batch kernel runs on one thread (slower)`,
      );
      return;
    }
    try {
      // Loaded here, not at the top: activating the extension does not need it.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { Worker } = require('worker_threads') as { Worker: new (script: string, options: object) => WorkerLike };
      const workerData: PrepareWorkerData = { role: 'prepare', module: this.module, memory: this.wasmMemory };
      const worker = new Worker(script, { workerData });
      worker.unref();
      // A worker that fails leaves its chunks unclaimed, and its dedupe undone: the main thread
      // does them, this validation and the next ones.
      worker.on('error', (error: unknown) => {
        if (this.worker === worker) this.worker = undefined;
        this.answer?.(undefined);
        reportKernelFallback(
          'worker',
          `the batch worker failed (${String(error)}): the batch kernel runs on one thread (slower)`,
          error,
        );
      });
      this.worker = worker;
    } catch (error) {
      this.worker = undefined;
      reportKernelFallback(
        'worker',
        `the batch worker did not start (${String(error)}): the batch kernel runs on one thread (slower)`,
        error,
      );
    }
  }

  /** Starts a validation of `path` (`size` bytes when it started): the worker joins in. */
  startJob(path: string, size: number): void {
    this.job = (this.job + 1) % JOBS;
    this.jobSize = size;
    const w = this.words;
    for (let slot = 0; slot < SLOTS; slot++) {
      w[SLOT_STATE_AT / 4 + slot] = FREE;
      w[SLOT_CHUNK_AT / 4 + slot] = -1;
    }
    Atomics.store(w, NEXT_CHUNK_AT / 4, this.job << CHUNK_BITS);
    this.worker?.postMessage({ job: this.job, path, size } satisfies PrepareJob);
  }

  /**
   * Chunk `k` of the file (in order), read and prepared: by the worker, or here when the
   * worker has not claimed it (the worker is still starting, or missing), in which case the chunk
   * after it is read meanwhile. Returns its slot and length (0 at the end of the file).
   */
  async take(
    k: number,
    read: (into: Buffer, position: number) => Promise<number>,
  ): Promise<{ slot: number; length: number }> {
    // validateFile gives the kernel files under KERNEL_MAX_FILE_BYTES; one that grew past it
    // while being read ends here for the kernel, like a file read to its end.
    if (k >= MAX_CHUNKS) return { slot: k % SLOTS, length: 0 };
    const slot = k % SLOTS;
    const state = SLOT_STATE_AT / 4 + slot;
    const tag = (this.job << CHUNK_BITS) | k;
    for (;;) {
      const w = this.words;
      const now = Atomics.load(w, state);
      const mine = Atomics.load(w, SLOT_CHUNK_AT / 4 + slot) === tag;
      if (now === READY && mine) {
        const length = w[SLOT_LENGTH_AT / 4 + slot];
        // A chunk the worker could not read is read here.
        if (length >= 0) return { slot, length };
        Atomics.store(w, state, CLAIMED);
        return this.readHere(k, slot, read);
      }
      if (now === CLAIMED && mine) {
        const pending = this.reads.get(k);
        if (pending) return this.readHere(k, slot, read);
        // The worker is preparing it: prepare a later chunk meanwhile, if one is free, rather
        // than wait (the two threads then share the preparing, which is most of the work).
        if (!(await this.prepareAhead(k, read))) await waitFor(w, state, CLAIMED);
        continue;
      }
      const claim = !(this.options.workerOnly && this.worker && k * KERNEL_CHUNK_BYTES < this.jobSize);
      if (claim && now === FREE && Atomics.compareExchange(w, NEXT_CHUNK_AT / 4, tag, tag + 1) === tag) {
        w[SLOT_CHUNK_AT / 4 + slot] = tag;
        Atomics.store(w, state, CLAIMED);
        return this.readHere(k, slot, read);
      }
      // The worker claimed it and is about to mark its slot.
      await waitFor(w, state, now, 1);
    }
  }

  /** Reads (or finishes reading) chunk `k`, claimed here, prepares it, and reads ahead. */
  private async readHere(
    k: number,
    slot: number,
    read: (into: Buffer, position: number) => Promise<number>,
  ): Promise<{ slot: number; length: number }> {
    const pending = this.reads.get(k) ?? read(this.chunks[slot], k * KERNEL_CHUNK_BYTES);
    this.reads.delete(k);
    // Without a worker, the next chunk is read while this one is checked: reading is the system's
    // work, done on another thread. (Its slot is free: the chunk before this one was let go.)
    const next = k + 1;
    const nextSlot = next % SLOTS;
    const tag = (this.job << CHUNK_BITS) | next;
    const w = this.words;
    const claim = !(this.options.workerOnly && this.worker && next * KERNEL_CHUNK_BYTES < this.jobSize);
    if (
      claim &&
      Atomics.load(w, SLOT_STATE_AT / 4 + nextSlot) === FREE &&
      Atomics.compareExchange(w, NEXT_CHUNK_AT / 4, tag, tag + 1) === tag
    ) {
      w[SLOT_CHUNK_AT / 4 + nextSlot] = tag;
      Atomics.store(w, SLOT_STATE_AT / 4 + nextSlot, CLAIMED);
      const ahead = read(this.chunks[nextSlot], next * KERNEL_CHUNK_BYTES);
      ahead.catch(() => undefined);
      this.reads.set(next, ahead);
    }
    const length = await pending;
    if (length > 0) this.exports.prepare(slotBase(slot), length);
    this.words[SLOT_LENGTH_AT / 4 + slot] = length;
    Atomics.store(this.words, SLOT_STATE_AT / 4 + slot, READY);
    return { slot, length };
  }

  /**
   * Claims and prepares the next unclaimed chunk after `k` whose slot is free, if any, while chunk
   * `k` is being prepared by the worker. Whether it did.
   */
  private async prepareAhead(k: number, read: (into: Buffer, position: number) => Promise<number>): Promise<boolean> {
    if (this.options.workerOnly) return false;
    const w = this.words;
    const claim = Atomics.load(w, NEXT_CHUNK_AT / 4);
    const j = claim & (MAX_CHUNKS - 1);
    if (claim >>> CHUNK_BITS !== this.job || j <= k || j >= k + SLOTS || j * KERNEL_CHUNK_BYTES >= this.jobSize) {
      return false;
    }
    const slot = j % SLOTS;
    if (
      Atomics.load(w, SLOT_STATE_AT / 4 + slot) !== FREE ||
      Atomics.compareExchange(w, NEXT_CHUNK_AT / 4, claim, claim + 1) !== claim
    ) {
      return false;
    }
    w[SLOT_CHUNK_AT / 4 + slot] = claim;
    Atomics.store(w, SLOT_STATE_AT / 4 + slot, CLAIMED);
    let length: number;
    try {
      length = await read(this.chunks[slot], j * KERNEL_CHUNK_BYTES);
    } catch {
      // Left for take to read again when it comes to this chunk.
      length = -1;
    }
    if (length > 0) this.exports.prepare(slotBase(slot), length);
    this.words[SLOT_LENGTH_AT / 4 + slot] = length;
    Atomics.store(this.words, SLOT_STATE_AT / 4 + slot, READY);
    return true;
  }

  /** Lets the worker reuse the slot of chunk `k`, scanned. */
  free(k: number): void {
    this.cursor = NO_CURSOR;
    const state = SLOT_STATE_AT / 4 + (k % SLOTS);
    Atomics.store(this.words, state, FREE);
    Atomics.notify(this.words, state);
  }

  /**
   * Ends the validation: no chunk is claimed from now on, and this waits for the chunks the worker
   * claimed to be done (and for reads started here), so that nothing writes to the memory once it
   * is let go. False when the worker did not finish in time: the kernel must not be reused then.
   */
  async endJob(): Promise<boolean> {
    const w = this.words;
    const last = Atomics.exchange(w, NEXT_CHUNK_AT / 4, -1);
    // Reads started here for chunks never taken (the one after the last, or after an error).
    for (const [k, pending] of this.reads) {
      await pending.catch(() => undefined);
      Atomics.store(w, SLOT_STATE_AT / 4 + (k % SLOTS), FREE);
    }
    this.reads.clear();
    if (last >>> CHUNK_BITS !== this.job) return true;
    const deadline = Date.now() + 2000;
    for (let slot = 0; slot < SLOTS; slot++) {
      const state = SLOT_STATE_AT / 4 + slot;
      while (Atomics.load(w, state) === CLAIMED) {
        if (Date.now() > deadline) return false;
        await waitFor(w, state, CLAIMED, 50);
      }
    }
    return true;
  }

  /** Empties the kernel for a new validation; its log segments are kept for reuse. */
  private reset(): void {
    this.cursor = NO_CURSOR;
    for (let p = 0; p < PARTITIONS; p++) {
      for (const [from] of this.segments[p]) this.spare.push(from);
      if (this.opened[p] !== 0) this.spare.push(this.opened[p]);
      this.segments[p] = [];
      this.opened[p] = 0;
      this.overflow[p] = { hashes: [], lines: [] };
    }
    this.count = 0;
    this.bytes = 0;
    new DataView(this.memory.buffer).setBigInt64(HASH_MASK_AT, this.options.hashMask ?? -1n, true);
    // Every partition starts full, so that the first scan or key opens its segment.
    this.words[FULL_AT / 4] = 1;
  }

  /** The first slot's chunk: what tests read rows into. */
  get chunk(): Buffer {
    return this.chunks[0];
  }

  /** Classifies the first `length` bytes of a slot's chunk and prepares its rows' id facts, for the scans of this chunk. */
  classify(length: number, slot = 0): void {
    this.exports.prepare(slotBase(slot), length);
    this.cursor = NO_CURSOR;
  }

  /**
   * Accepts the clean rows of the prepared chunk from `pos` (see the file comment) up to `end`,
   * the first of them on line `firstLine`, at most `rowsLeft` of them and under `bytesLeft` bytes
   * in all; sets `count` and `bytes`, logs their ids, and returns where the first row it did not
   * accept starts.
   */
  scan(
    pos: number,
    end: number,
    columns: number,
    thirdParty: boolean,
    maxId: number,
    rowBudget: number,
    rowsLeft: number,
    bytesLeft: number,
    firstLine: number,
    slot = 0,
  ): number {
    this.count = 0;
    this.bytes = 0;
    // Lines are kept as i32, NO_LINE (-1) aside.
    if (!this.makeRoom() || firstLine + (end - pos) >= 0x7fffffff) return pos;
    const limit = (n: number) => Math.max(0, Math.min(n, 0x7fffffff));
    const base = slotBase(slot);
    // The row's ordinal in its chunk, counted on from the last scan's end (scans move forward).
    const cursor = this.cursor;
    const row =
      cursor.slot === slot && cursor.pos <= pos
        ? cursor.row + this.exports.rows(base, cursor.pos, pos)
        : this.exports.rows(base, 0, pos);
    const next = this.exports.scan(
      base,
      pos,
      row,
      end,
      columns,
      thirdParty ? 1 : 0,
      Math.min(maxId, MAX_KERNEL_ID),
      limit(rowBudget),
      limit(rowsLeft),
      limit(bytesLeft),
      firstLine,
    );
    this.count = this.words[ROWS_AT / 4];
    this.bytes = this.words[BYTES_AT / 4];
    this.cursor = { slot, pos: next, row: row + this.count };
    return next;
  }

  /** Logs the key for line Math.floor(row / 2^21); always -1: duplicates are found by `candidates`. */
  addKey(row: number): number {
    const line = Math.floor(row / 2097152);
    const n = this.keyLength;
    const wide = this.keyIsWide();
    const bytes = wide ? 2 * n : n;
    let at = KEY_AT;
    if (bytes > KEY_BYTES) {
      // Ids come from lines of at most MAX_LINE_BYTES, so a key always fits the room kept for one.
      if (bytes > BIG_KEY_BYTES) throw new RangeError(`a key of ${bytes} bytes is longer than any id of a batch file`);
      at = BIG_KEY_AT;
    }
    const memory = this.memory;
    const key = this.key;
    if (!wide) {
      for (let i = 0; i < n; i++) memory[at + i] = key[i];
    } else {
      for (let i = 0; i < n; i++) {
        memory[at + 2 * i] = key[i] & 0xff;
        memory[at + 2 * i + 1] = key[i] >>> 8;
      }
    }
    const packed = n * 2 + (wide ? 1 : 0);
    if (this.makeRoom()) {
      this.exports.add(at, bytes, packed, line);
    } else {
      const h = BigInt.asUintN(64, this.exports.hash(at, bytes, packed));
      const part = this.overflow[Number(h >> BigInt(64 - PARTITION_BITS))];
      part.hashes.push(h);
      part.lines.push(line);
    }
    return -1;
  }

  /** Nothing to size: the id log grows by segments. */
  expect(): void {}

  /**
   * The candidate duplicates among the ids logged so far, two numbers each: a row's line and the
   * first line with the same hash, each row listed once. Only a comparison of the two ids tells
   * whether they are the same (see confirmDuplicates in validator.ts).
   *
   * Looking each id up in one table as it came cost more than the scan: a table for 500,000 ids
   * is megabytes, so every lookup missed the caches and the address translation buffer. The log
   * is split by the hashes' top bits as it is written, and each partition is run through a table
   * that fits the core's cache (see dedupePartition). The worker takes half the partitions, in
   * its own lane, while this thread does the other half.
   */
  async candidates(): Promise<number[]> {
    const found: number[] = [];
    const words = this.words;
    const worker = this.worker;
    const mine: LogPartition[] = [];
    const theirs: LogPartition[] = [];
    let mineRecords = 0;
    let theirRecords = 0;
    for (let p = 0; p < PARTITIONS; p++) {
      const segments: [number, number][] = [...this.segments[p]];
      if (this.opened[p] !== 0) segments.push([this.opened[p], words[NEXT_AT / 4 + p]]);
      const overflow = this.overflow[p];
      let records = 0;
      for (const [from, to] of segments) records += (to - from) / RECORD_BYTES;
      if (overflow.lines.length > 0) {
        // Ids past a memory that could not grow: only this thread knows them.
        this.partitionWithOverflow(segments, overflow, records + overflow.lines.length, found);
      } else if (records >= 2) {
        if (worker && theirRecords < mineRecords) {
          theirs.push({ segments, records });
          theirRecords += records;
        } else {
          mine.push({ segments, records });
          mineRecords += records;
        }
      }
    }
    const remote = worker && theirs.length > 0 ? this.dedupeOnWorker(worker, theirs) : Promise.resolve([]);
    for (const partition of mine) {
      for (const n of dedupePartition(this.exports, words, laneBase(0), partition)) found.push(n);
    }
    const results = await remote;
    if (results === undefined) {
      // The worker did not answer: its partitions are done here (and the kernel is not reused).
      for (const partition of theirs) {
        for (const n of dedupePartition(this.exports, this.words, laneBase(0), partition)) found.push(n);
      }
    } else {
      for (const list of results) for (const n of list) found.push(n);
    }
    return found;
  }

  /** Has the worker dedupe `partitions` in its lane: their candidates, or undefined when it does not answer. */
  private dedupeOnWorker(worker: WorkerLike, partitions: LogPartition[]): Promise<number[][] | undefined> {
    return new Promise((resolve) => {
      // Also what keeps Node's event loop alive while the unref'd worker works.
      const timer = setTimeout(() => this.answer?.(undefined), 10_000);
      // Listened to only while waiting: a 'message' listener keeps the process alive, unref'd
      // worker or not (a process that validated a file would never exit).
      const onMessage = (message: DedupeAnswer) => this.answer?.(message.dedupe);
      this.answer = (results) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        this.answer = undefined;
        if (results === undefined) this.healthy = false;
        resolve(results);
      };
      worker.on('message', onMessage);
      worker.postMessage({ dedupe: partitions, lane: laneBase(1) } satisfies DedupeRequest);
    });
  }

  /** One partition with ids in the overflow, through lane 0: the overflow's ids follow the log's in each pass. */
  private partitionWithOverflow(
    segments: [number, number][],
    overflow: { hashes: bigint[]; lines: number[] },
    records: number,
    found: number[],
  ): void {
    const lane = laneBase(0);
    const probeOverflow = (pass: number, shift: number, subMask: number, pairs: number[]) => {
      for (let i = 0; i < overflow.lines.length; i++) {
        const h = overflow.hashes[i];
        if ((Number(h >> BigInt(shift)) & subMask) !== pass) continue;
        const first = this.exports.probe(lane, BigInt.asIntN(64, h), overflow.lines[i]);
        if (first === TABLE_FULL) return false;
        if (first !== NO_LINE) pairs.push(overflow.lines[i], first);
      }
      return true;
    };
    for (const n of dedupePartition(this.exports, this.words, lane, { segments, records }, probeOverflow)) {
      found.push(n);
    }
  }

  /** The kernel's hash of `n` bytes of the chunk from `pos`, for the tests. */
  hashChunk(pos: number, n: number, packed: number): bigint {
    return BigInt.asUintN(64, this.exports.hash(slotBase(0) + pos, n, packed));
  }

  /**
   * Whether every partition of the log has room for a record; opens new segments where needed.
   * When the memory cannot grow, the kernel stops scanning and keys go to the overflow: false.
   */
  private makeRoom(): boolean {
    if (this.words[FULL_AT / 4] === 0) return true;
    if (!this.usable) return false;
    try {
      for (let p = 0; p < PARTITIONS; p++) {
        const next = this.words[NEXT_AT / 4 + p];
        if (this.opened[p] !== 0 && next + RECORD_BYTES <= this.words[END_AT / 4 + p]) continue;
        if (this.spare.length === 0) {
          // Memory grows by 64 KiB pages: segments smaller than that (in tests) share one.
          const bytes = Math.max(this.segmentBytes, 65536);
          const block = this.allocate(bytes);
          for (let at = block + bytes - this.segmentBytes; at >= block; at -= this.segmentBytes) this.spare.push(at);
        }
        const at = this.spare.pop()!;
        if (this.opened[p] !== 0) this.segments[p].push([this.opened[p], next]);
        this.opened[p] = at;
        this.words[NEXT_AT / 4 + p] = at;
        this.words[END_AT / 4 + p] = at + this.segmentBytes;
      }
      this.words[FULL_AT / 4] = 0;
      return true;
    } catch {
      this.usable = false;
      return false;
    }
  }

  /** `bytes` more memory, from its current end; throws a RangeError when it cannot grow. */
  private allocate(bytes: number): number {
    const at = this.wasmMemory.buffer.byteLength;
    const pages = Math.ceil(bytes / 65536);
    this.wasmMemory.grow(pages);
    this.refresh();
    return at;
  }

  private refresh(): void {
    const buffer = this.wasmMemory.buffer;
    this.memory = new Uint8Array(buffer);
    this.words = new Int32Array(buffer);
    this.chunks = Array.from({ length: SLOTS }, (_, slot) => Buffer.from(buffer, slotBase(slot), KERNEL_CHUNK_BYTES));
  }
}
