/**
 * The row kernel's memory layout: the one place its addresses and sizes are written down.
 *
 * This file is both AssemblyScript (kernel.ts imports it, and asc inlines every constant into the
 * WebAssembly) and TypeScript (rowKernel.ts, dedupe.ts and the worker import it). So it holds
 * nothing but integer constants, unannotated (AssemblyScript infers i32, TypeScript number), with
 * arithmetic that gives the same result in both: every value fits an i32, and a division that is
 * not exact is written `(a / b) | 0`. The kernel also exports each constant as a global, and a
 * unit test checks that the module's values are these (rowKernel.test.ts).
 *
 * From address 0: the hex values, the state words, the key area, two dedupe lanes (a table and
 * its candidates each: the main thread's and the worker's), and the chunk slots (a chunk, its bit
 * arrays, its row records and a decode scratch each). Above them, taken by growing the memory
 * from JavaScript (the kernel never grows it: it stops and lets the caller make room), the id
 * log's segments.
 */

/** Each byte's value as a hex digit, 255 for a byte that is not one (256 bytes). */
export const HEX_AT = 0;

// State words, shared by the kernel and RowKernel.
/** How many rows the last scan accepted (i32), and their bytes with their LFs (i32). */
export const ROWS_AT = 256;
export const BYTES_AT = 260;
/** Set when a partition of the id log has no room for one more record. */
export const FULL_AT = 264;
/** An i64 the hashes are and-ed with: all ones, except in tests that want hashes to collide. */
export const HASH_MASK_AT = 280;

/** The id log's partitions, by a hash's top bits: where each one's next record goes (i32 each)… */
export const PARTITION_BITS = 5;
export const PARTITIONS = 1 << PARTITION_BITS;
export const NEXT_AT = 512;
/** …and the end of its open segment (i32 each). */
export const END_AT = NEXT_AT + 4 * PARTITIONS;

/** Where a validation's worker and its main thread meet (see RowKernel.take): Int32 words. */
export const JOB_AT = 768;
/** The claim word: the validation's number in the top bits, the next chunk to claim below. */
export const NEXT_CHUNK_AT = JOB_AT;
/** Per chunk slot: its state (FREE, CLAIMED, READY), the claim it holds, and the bytes read. */
export const SLOT_STATE_AT = JOB_AT + 16;
export const SLOT_CHUNK_AT = SLOT_STATE_AT + 16;
export const SLOT_LENGTH_AT = SLOT_CHUNK_AT + 16;
// A chunk slot's states.
export const FREE = 0;
export const CLAIMED = 1;
export const READY = 2;
/** The claim word's bits for the chunk's number: the rest count validations. */
export const CHUNK_BITS = 20;
export const MAX_CHUNKS = 1 << CHUNK_BITS;

/** The key of a row the JavaScript path took (keys longer than this get room of their own). */
export const KEY_AT = 1024;
export const KEY_BYTES = 1 << 16;
/** Slack past any key: the hash reads sixteen bytes at a time. */
export const KEY_SLACK = 16;

/** An id log record: the id's hash (i64) and its line (i32). */
export const RECORD_BYTES = 12;
/** A partition's log grows by segments of this size. */
export const SEGMENT_BYTES = 256 << 10;

/**
 * A dedupe lane: the table of one pass, (hash, first line) slots of 16 bytes, at most
 * MAX_PASS_SLOTS, after its mask and entry count, then the candidates of one dedupe call (one
 * segment): line, and the first line with the same hash. Two lanes: the main thread's and the
 * worker's, which dedupe partitions at the same time (see RowKernel.candidates).
 */
export const LANE_MASK = 0;
export const LANE_ENTRIES = 4;
export const LANE_TABLE = 64;
export const DEDUPE_SLOT_BYTES = 16;
export const MAX_PASS_SLOTS = 1 << 16;
export const LANE_CANDIDATES = LANE_TABLE + MAX_PASS_SLOTS * DEDUPE_SLOT_BYTES;
export const CANDIDATE_BYTES = 8;
export const LANE_BYTES = LANE_CANDIDATES + (((SEGMENT_BYTES / RECORD_BYTES) | 0) + 1) * CANDIDATE_BYTES;
/** From one lane to the next: LANE_BYTES rounded up to 64. */
export const LANE_STRIDE = ((LANE_BYTES + 63) >> 6) << 6;
export const LANES_AT = KEY_AT + KEY_BYTES + 64;
/** Ids a pass is planned for: the table stays under 3/8 full, in the core's second-level cache. */
export const PASS_IDS = 24 << 10;

/** Where the file is read to; also the chunk size, so that the two cannot drift apart. */
export const KERNEL_CHUNK_BYTES = 1 << 20;
/**
 * Chunk slots, from SLOTS_AT, SLOT_BYTES each: a chunk and its bit arrays (one bit per byte of the
 * chunk, read 64 bits at a time, and 64 bits past the end), at these offsets from the slot's
 * base. Three, so that one chunk is scanned while the next ones are read and prepared.
 */
export const SLOTS = 3;
export const SLOTS_AT = LANES_AT + 2 * LANE_STRIDE;
export const BITS_BYTES = KERNEL_CHUNK_BYTES / 8 + 64;
// 64 bytes past the chunk: the last block's loads stay in memory that is not the chunk's.
export const LF_OFF = KERNEL_CHUNK_BYTES + 64;
export const COMMA_OFF = LF_OFF + BITS_BYTES;
export const PCT_OFF = COMMA_OFF + BITS_BYTES;
export const BAD_OFF = PCT_OFF + BITS_BYTES;
/**
 * Each row's id facts, prepared with the chunk, by the row's ordinal in the chunk (the LFs before
 * it): the hash of its decoded id (i64), its decoded length (i32), and flags (i32). A chunk of
 * more rows (under 8 bytes each on average) has records for its first ones only.
 */
export const MAX_CHUNK_ROWS = 1 << 17;
export const ROW_RECORD_BYTES = 16;
export const ROWS_OFF = BAD_OFF + BITS_BYTES;
/** How many rows of the chunk have a record (i32). */
export const ROW_COUNT_OFF = ROWS_OFF + MAX_CHUNK_ROWS * ROW_RECORD_BYTES;
/**
 * A decoded id: at most MAX_KERNEL_ID bytes, and room for 16-byte stores and loads past it. One a
 * slot: the worker and the main thread may prepare two chunks at once.
 */
export const SCRATCH_OFF = ROW_COUNT_OFF + 64;
export const SCRATCH_BYTES = 512;
export const SLOT_BYTES = SCRATCH_OFF + SCRATCH_BYTES;
/** The memory a kernel starts with, in 64 KiB pages: everything up to the end of the last slot. */
export const FIXED_PAGES = (SLOTS_AT + SLOTS * SLOT_BYTES + 65535) >> 16;

// Row record flags: the id is longer than the kernel decodes, holds an escape of a byte from 0x80
// (UTF-8, or not hex), or decodes to a + or / (TP012 for a thirdPartyId).
export const ID_TOO_LONG = 1;
export const ID_NOT_ASCII = 2;
export const ID_PLUS_SLASH = 4;

/** The longest id the kernel decodes; a longer one is left to scanRow. */
export const MAX_KERNEL_ID = 256;
/** The longest value (as written) the kernel accepts, so that no decoded length needs counting. */
export const MAX_KERNEL_VALUE = 256;
/** A line no row has: what a lookup answers for a new id. */
export const NO_LINE = -1;
/** What a dedupe call answers when its table is full (more distinct ids than planned). */
export const TABLE_FULL = -2;
