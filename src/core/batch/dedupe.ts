import type { KernelExports } from './kernelApi';
import {
  LANE_CANDIDATES,
  LANE_ENTRIES,
  LANE_MASK,
  LANE_TABLE,
  DEDUPE_SLOT_BYTES,
  MAX_PASS_SLOTS,
  PARTITION_BITS,
  PASS_IDS,
  TABLE_FULL,
} from './kernel/layout';

/** One partition of the id log: its segments, [from, to) pairs of addresses, and their records in all. */
export interface LogPartition {
  segments: [number, number][];
  records: number;
}

/**
 * The candidates of one partition of the id log (its segments, `records` records in all), through
 * the table of the lane at `lane`: in passes, each for a range of the hash bits below the
 * partition's (as many as a table the size of the core's cache needs), and in finer ones when a
 * pass has more distinct hashes than its table holds. A partition holds its records in line
 * order, so the first line a table records for a hash is that hash's first. `afterSegments`
 * runs more ids through each pass's table (false when it filled up).
 *
 * Run by RowKernel on the validating thread and by the worker's prepare role (prepareRole.ts),
 * each in a lane of its own, over the same memory.
 */
export function dedupePartition(
  k: Pick<KernelExports, 'dedupe' | 'clear'>,
  words: Int32Array,
  lane: number,
  { segments, records }: LogPartition,
  afterSegments?: (pass: number, shift: number, subMask: number, found: number[]) => boolean,
): number[] {
  let bits = 0;
  while (records / 2 ** bits > PASS_IDS) bits++;
  for (; ; bits++) {
    const found: number[] = [];
    const shift = 64 - PARTITION_BITS - bits;
    const subMask = 2 ** bits - 1;
    let slots = 64;
    while (slots < 2 * (records / 2 ** bits) && slots < MAX_PASS_SLOTS) slots *= 2;
    let full = false;
    for (let pass = 0; pass <= subMask && !full; pass++) {
      k.clear(lane + LANE_TABLE, slots * DEDUPE_SLOT_BYTES);
      words[(lane + LANE_MASK) / 4] = slots - 1;
      words[(lane + LANE_ENTRIES) / 4] = 0;
      for (const [from, to] of segments) {
        const n = k.dedupe(lane, from, to, bits === 0 ? 0 : shift, subMask, pass);
        if (n === TABLE_FULL) {
          full = true;
          break;
        }
        const at = (lane + LANE_CANDIDATES) / 4;
        for (let c = 0; c < 2 * n; c++) found.push(words[at + c]);
      }
      if (!full && afterSegments && !afterSegments(pass, bits === 0 ? 0 : shift, subMask, found)) full = true;
    }
    if (!full) return found;
  }
}
