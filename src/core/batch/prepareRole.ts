import * as fs from 'fs';
import type { MessagePort } from 'worker_threads';
import { dedupePartition, type LogPartition } from './dedupe';
import { instantiateKernel, webAssembly, type WasmMemory, type WasmModule } from './kernelApi';
import {
  CHUNK_BITS,
  CLAIMED,
  FREE,
  KERNEL_CHUNK_BYTES,
  MAX_CHUNKS,
  NEXT_CHUNK_AT,
  READY,
  SLOTS,
  SLOTS_AT,
  SLOT_BYTES,
  SLOT_CHUNK_AT,
  SLOT_LENGTH_AT,
  SLOT_STATE_AT,
} from './kernel/layout';

/**
 * The batch worker's 'prepare' role: RowKernel's helper (see RowKernel.take and candidates). It
 * has an instance of the kernel's module over the kernel's shared memory, and two kinds of work:
 * a validation's chunks, which it claims, reads and prepares ahead of the scan on the main thread,
 * and half the partitions of a validation's id log to dedupe, in its own lane.
 */

/** The worker's data: the compiled module and the memory (both shared by the threads). */
export interface PrepareWorkerData {
  readonly role: 'prepare';
  readonly module: WasmModule;
  readonly memory: WasmMemory;
}

/** A validation of the file at `path`, `size` bytes when it started, number `job` (see the claim word). */
export interface PrepareJob {
  readonly job: number;
  readonly path: string;
  readonly size: number;
}

/** Partitions of the id log to dedupe in the lane at `lane`. */
export interface DedupeRequest {
  readonly dedupe: LogPartition[];
  readonly lane: number;
}

/** The candidates of each partition, in order; undefined when deduping failed. */
export interface DedupeAnswer {
  readonly dedupe: number[][] | undefined;
}

export function runPrepareRole({ module, memory }: PrepareWorkerData, port: MessagePort): void {
  const k = instantiateKernel(webAssembly()!, module, memory);
  // The words below the slots: a shared memory's old buffers stay valid where they were.
  const w = new Int32Array(memory.buffer);
  port.on('message', (message: PrepareJob | DedupeRequest) => {
    if ('dedupe' in message) {
      let results: number[][] | undefined;
      try {
        // The memory may have grown since: a view of all of it.
        const words = new Int32Array(memory.buffer);
        results = message.dedupe.map((partition) => dedupePartition(k, words, message.lane, partition));
      } catch {
        results = undefined;
      }
      port.postMessage({ dedupe: results } satisfies DedupeAnswer);
      return;
    }
    prepareChunks(message, w, memory, k.prepare);
  });
}

/**
 * Claims the next chunk whose slot is free, reads it and prepares it, until the file ends or the
 * validation stops claiming (its number leaves the claim word). A chunk it cannot read is marked
 * so (length -1), for the main thread to read.
 */
function prepareChunks(
  { job, path, size }: PrepareJob,
  w: Int32Array,
  memory: WasmMemory,
  prepare: (base: number, end: number) => void,
): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path, 'r');
    for (;;) {
      const next = Atomics.load(w, NEXT_CHUNK_AT / 4);
      const chunk = next & (MAX_CHUNKS - 1);
      if (next >>> CHUNK_BITS !== job || chunk * KERNEL_CHUNK_BYTES >= size) break;
      const slot = chunk % SLOTS;
      const state = SLOT_STATE_AT / 4 + slot;
      if (Atomics.load(w, state) !== FREE) {
        Atomics.wait(w, state, Atomics.load(w, state), 20);
        continue;
      }
      if (Atomics.compareExchange(w, NEXT_CHUNK_AT / 4, next, next + 1) !== next) continue;
      Atomics.store(w, SLOT_CHUNK_AT / 4 + slot, next);
      Atomics.store(w, state, CLAIMED);
      Atomics.notify(w, state);
      const base = SLOTS_AT + slot * SLOT_BYTES;
      let length: number;
      try {
        const into = new Uint8Array(memory.buffer, base, KERNEL_CHUNK_BYTES);
        length = fs.readSync(fd, into, 0, KERNEL_CHUNK_BYTES, chunk * KERNEL_CHUNK_BYTES);
        if (length > 0) prepare(base, length);
      } catch {
        length = -1;
      }
      Atomics.store(w, SLOT_LENGTH_AT / 4 + slot, length);
      Atomics.store(w, state, READY);
      Atomics.notify(w, state);
    }
  } catch {
    // The main thread reads and prepares what is left.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
