/**
 * The batch row kernel, in AssemblyScript: esbuild.js compiles it with asc into the WebAssembly
 * that RowKernel (../rowKernel.ts) runs. See rowKernel.ts for what the kernel is for and how the
 * host drives it, and layout.ts for the memory it works in.
 *
 * The module imports its memory (env.memory, shared with the worker's instance in the shared
 * variant) and has no data, no start function and no runtime: every function reads and writes
 * the fixed addresses of layout.ts with raw loads and stores, and never grows the memory. All
 * positions are unsigned: a comparison of two positions is an unsigned one, as in the bit
 * arithmetic below.
 *
 * Type-checked by asc, not by the project's tsc (tsconfig.json leaves this folder out; its own
 * tsconfig.json gives editors AssemblyScript's library).
 */
import {
  BAD_OFF,
  BYTES_AT,
  COMMA_OFF,
  END_AT,
  FULL_AT,
  HASH_MASK_AT,
  HEX_AT,
  ID_NOT_ASCII,
  ID_PLUS_SLASH,
  ID_TOO_LONG,
  LANE_CANDIDATES,
  LANE_ENTRIES,
  LANE_MASK,
  LANE_TABLE,
  CANDIDATE_BYTES,
  LF_OFF,
  MAX_CHUNK_ROWS,
  MAX_KERNEL_ID,
  MAX_KERNEL_VALUE,
  NEXT_AT,
  NO_LINE,
  PARTITION_BITS,
  PCT_OFF,
  RECORD_BYTES,
  ROWS_AT,
  ROWS_OFF,
  ROW_COUNT_OFF,
  ROW_RECORD_BYTES,
  SCRATCH_OFF,
  TABLE_FULL,
} from './layout';

// Every constant of the layout, exported as a global: the unit tests compare them with layout.ts
// as the host compiled it (the one file is read by both compilers).
export * from './layout';

// Odd 64-bit multipliers (from the golden ratio and MurmurHash3) and its finalizer's constants.
const K1: u64 = 0x9e3779b97f4a7c15;
const K2: u64 = 0x87c37b91114253d5;
const K3: u64 = 0x4cf5ad432745937f;
const FMIX1: u64 = 0xff51afd7ed558ccd;
const FMIX2: u64 = 0xc4ceb9fe1a85ec53;
/** The bytes 0 to 15, for the mask of a vector's first bytes. */
const IOTA = i8x16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

// The hash of n bytes at `src` (see hashKey), in steps small enough for the optimizer to inline:
// the ids of a chunk (see ids) hash in a loop of their own, with a check for + and /.

/** Sixteen bytes of the n at `src` from `i`, those past n zeroed. */
function piece(src: u32, i: u32, n: u32): v128 {
  const left = n - i;
  return v128.and(v128.load(src + i), i8x16.lt_u(IOTA, i8x16.splat(select<u32>(16, left, left >= 16) as i8)));
}

/** The first multiply-rotate chain, after a piece's first eight bytes. */
function chain1(h1: u64, v: v128): u64 {
  return rotl<u64>((h1 ^ i64x2.extract_lane(v, 0)) * K1, 31);
}

/** The second chain, after a piece's last eight bytes. */
function chain2(h2: u64, v: v128): u64 {
  return rotl<u64>((h2 ^ i64x2.extract_lane(v, 1)) * K2, 29);
}

/** The two chains and `packed` mixed (MurmurHash3's finalizer), and-ed with the hash mask; never 0. */
function finish(h1: u64, h2: u64, packed: u32): u64 {
  let h = h1 ^ rotl<u64>(h2, 32) ^ ((packed as u64) * K3);
  h = (h ^ (h >> 33)) * FMIX1;
  h = (h ^ (h >> 33)) * FMIX2;
  h = (h ^ (h >> 33)) & load<u64>(HASH_MASK_AT);
  return h !== 0 ? h : 1;
}

/**
 * The 64-bit hash of the n bytes at `src`; never 0, which marks an empty slot. Sixteen bytes a
 * step (the last step's bytes past n are masked to 0, which is unambiguous because `packed`, the
 * length as units * 2 + wide flag, is mixed in at the end), each half into one of two independent
 * multiply-rotate chains, then MurmurHash3's finalizer. The kernel's rows (see ids) and the keys
 * JavaScript writes hash alike.
 */
function hashKey(src: u32, n: u32, packed: u32): u64 {
  let h1 = K1;
  let h2 = K2;
  for (let i: u32 = 0; i < n; i += 16) {
    const v = piece(src, i, n);
    h1 = chain1(h1, v);
    h2 = chain2(h2, v);
  }
  return finish(h1, h2, packed);
}

/** hash(at, n, packed) -> the hash of a key JavaScript wrote at `at` (see hashKey). */
export function hash(at: u32, n: u32, packed: u32): u64 {
  return hashKey(at, n, packed);
}

/**
 * Appends (h, line) to the id log's partition for the hash's top bits, and sets FULL_AT when that
 * partition has no room left for another record.
 */
function appendRecord(h: u64, line: u32): void {
  const part = ((h >> (64 - PARTITION_BITS)) as u32) << 2;
  let to = load<u32>(part, NEXT_AT);
  store<u64>(to, h);
  store<u32>(to, line, 8);
  to += RECORD_BYTES;
  store<u32>(part, to, NEXT_AT);
  if (to + RECORD_BYTES > load<u32>(part, END_AT)) store<u32>(FULL_AT, 1);
}

/** add(at, n, packed, line): logs the key JavaScript wrote at `at` (n bytes), hashed here. */
export function add(at: u32, n: u32, packed: u32, line: u32): void {
  appendRecord(hashKey(at, n, packed), line);
}

/**
 * The probe of a dedupe pass in the lane at `lane` for the hash `h` of line `line`: the first
 * line recorded for the hash, or NO_LINE after recording `line` for a new hash, or TABLE_FULL
 * when the table has no room for a new hash.
 */
function probeSlot(lane: u32, h: u64, line: u32): i32 {
  const mask = load<u32>(lane, LANE_MASK);
  let slot = (h as u32) & mask;
  for (;;) {
    const a = (slot << 4) + lane + LANE_TABLE;
    const x = load<u64>(a);
    if (x === 0) {
      const entries = load<u32>(lane, LANE_ENTRIES);
      if (entries >= mask) return TABLE_FULL;
      store<u64>(a, h);
      store<u32>(a, line, 8);
      store<u32>(lane, entries + 1, LANE_ENTRIES);
      return NO_LINE;
    }
    if (x === h) return load<i32>(a, 8);
    slot = (slot + 1) & mask;
  }
  // Not reached: the table always has an empty slot (entries < mask).
  return unreachable();
}

/**
 * dedupe(lane, from, to, shift, subMask, pass) -> candidates: runs the records of one log segment
 * [from, to) whose hash bits (h >>> shift) & subMask are `pass` through the lane's table, and
 * lists in the lane's candidates each record whose hash the table already had (its line and the
 * first line); TABLE_FULL when the table could not take a new hash.
 */
export function dedupe(lane: u32, from: u32, to: u32, shift: u32, subMask: u32, pass: u32): i32 {
  const candidates = lane + LANE_CANDIDATES;
  let out = candidates;
  for (let r = from; r < to; r += RECORD_BYTES) {
    const h = load<u64>(r);
    if ((((h >> (shift as u64)) as u32) & subMask) !== pass) continue;
    const line = load<u32>(r, 8);
    const first = probeSlot(lane, h, line);
    if (first === TABLE_FULL) return TABLE_FULL;
    if (first === NO_LINE) continue;
    store<u32>(out, line);
    store<i32>(out, first, 4);
    out += CANDIDATE_BYTES;
  }
  return (out - candidates) >> 3;
}

/** probe(lane, h, line) -> the first line of `h` in the lane's table, NO_LINE after recording it, or TABLE_FULL. */
export function probe(lane: u32, h: u64, line: u32): i32 {
  return probeSlot(lane, h, line);
}

/** clear(at, n): zeroes n bytes (a typed array's fill is slow on a shared memory). */
export function clear(at: u32, n: u32): void {
  memory.fill(at, 0, n);
}

// A byte's class, from two tables, one by its low four bits, one by its high four: a byte has a
// class bit when both tables have it (see classify).
//   1: bad: controls but LF (0x00-0x1f), non-ASCII (0x80-0xff), but those with LF's low bits
//   2: bad: the rest of those, LF's low bits with a high nibble of 1 or 8-f (0x1a, 0x8a-0xfa)
//   4: bad: space " & + (0x20 0x22 0x26 0x2b); a space inside a field is then allowed by scan (see innerSpacesOnly)
//   8: bad: DEL (0x7f)
//  16: hex digit 0-9 (0x30-0x39)
//  32: hex digit A-F and a-f (0x41-0x46, 0x61-0x66)
//  64: % (0x25)
// 128: comma (0x2c)
// prettier-ignore
const BY_LOW = i8x16(
  0x15, 0x31, 0x35, 0x31, 0x31, 0x71, 0x35, 0x11, // low four bits 0-7
  0x11, 0x11, 0x02, 0x05, 0x81 as i8, 0x01, 0x01, 0x09, // 8-f
);
// prettier-ignore
const BY_HIGH = i8x16(
  0x01, 0x03, 0xc4 as i8, 0x10, 0x20, 0x00, 0x20, 0x08, // high four bits 0-7
  0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, // 8-f
);
const NIBBLE = i8x16(15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15);
const BAD_BITS = NIBBLE;
const HEX_BITS = i8x16(48, 48, 48, 48, 48, 48, 48, 48, 48, 48, 48, 48, 48, 48, 48, 48);
const LFS = i8x16(10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10);
const PLUS = i8x16(43, 43, 43, 43, 43, 43, 43, 43, 43, 43, 43, 43, 43, 43, 43, 43);
const SLASH = i8x16(47, 47, 47, 47, 47, 47, 47, 47, 47, 47, 47, 47, 47, 47, 47, 47);
const ZERO = i8x16(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

/** The class of each of sixteen bytes (one swizzle a table). */
function classOf(v: v128): v128 {
  return v128.and(
    i8x16.swizzle(BY_LOW, v128.and(v, NIBBLE)),
    i8x16.swizzle(BY_HIGH, v128.and(i16x8.shr_u(v, 4), NIBBLE)),
  );
}

/** The lanes of sixteen bytes that have none of `bits`, a byte where one of them is set. */
function without(v: v128, bits: v128): v128 {
  return i8x16.eq(v128.and(v, bits), ZERO);
}

/** The top bits of four times sixteen bytes, in order: a word of 64 bits. */
function bits64(a: v128, b: v128, c: v128, d: v128): u64 {
  return (
    (i8x16.bitmask(a) as u32 as u64) |
    ((i8x16.bitmask(b) as u32 as u64) << 16) |
    ((i8x16.bitmask(c) as u32 as u64) << 32) |
    ((i8x16.bitmask(d) as u32 as u64) << 48)
  );
}

/**
 * classify(base, end): the bit arrays for the first `end` bytes of the chunk in the slot at
 * `base`, 64 bytes a step: LF, comma, % and "bad" (anything a clean row may not hold: controls,
 * space, DEL, non-ASCII, & + ", and a % not followed by two hex digits; a space is bad here
 * only because a byte's class cannot tell where it is: scan allows one inside a field, see
 * innerSpacesOnly), with no branches on the
 * data. Each byte's class is looked up (see classOf): bits 0-3 mean bad, 4-5 hex digit, 6 %, 7
 * comma (its top bit, which bitmask reads); LF is compared for. Bits at and past `end` are not
 * the chunk's: the LF bits there are cleared, and scan never reads the others past a row's LF.
 */
function classify(base: u32, end: u32): void {
  let carry: u64 = 0;
  let q = base;
  const limit = base + end;
  for (let p = base; p < limit; p += 64) {
    const v0 = v128.load(p);
    const v1 = v128.load(p, 16);
    const v2 = v128.load(p, 32);
    const v3 = v128.load(p, 48);
    const c0 = classOf(v0);
    const c1 = classOf(v1);
    const c2 = classOf(v2);
    const c3 = classOf(v3);
    store<u64>(q, bits64(i8x16.eq(v0, LFS), i8x16.eq(v1, LFS), i8x16.eq(v2, LFS), i8x16.eq(v3, LFS)), LF_OFF);
    store<u64>(q, bits64(c0, c1, c2, c3), COMMA_OFF);
    // % is bit 6: doubled, the top bit.
    const percents = bits64(i8x16.add(c0, c0), i8x16.add(c1, c1), i8x16.add(c2, c2), i8x16.add(c3, c3));
    store<u64>(q, percents, PCT_OFF);
    const good = bits64(without(c0, BAD_BITS), without(c1, BAD_BITS), without(c2, BAD_BITS), without(c3, BAD_BITS));
    const notHex = bits64(without(c0, HEX_BITS), without(c1, HEX_BITS), without(c2, HEX_BITS), without(c3, HEX_BITS));
    // Each % needs hex digits in the next two bytes, which may be the next block's.
    const need = (percents << 1) | (percents << 2) | carry;
    carry = (percents >> 62) | (percents >> 63);
    store<u64>(q, ~good | (need & notHex), BAD_OFF);
    q += 8;
  }
  if (end & 63) {
    const at = ((end >> 6) << 3) + base + LF_OFF;
    store<u64>(at, load<u64>(at) & bitsBelow(end));
  }
}

/** The most bytes from one comma (or the id's end) to the next, or to the LF. */
const LONGEST_FIELD = (MAX_KERNEL_VALUE as u32) + 1;

// Word `index` (64 bits) of a bit array of the slot at `base`, one function an array: an
// array's offset is a load's immediate, which the optimizer does not move there by itself.
function lfWord(base: u32, index: u32): u64 {
  return load<u64>((index << 3) + base, LF_OFF);
}
function commaWord(base: u32, index: u32): u64 {
  return load<u64>((index << 3) + base, COMMA_OFF);
}
function percentWord(base: u32, index: u32): u64 {
  return load<u64>((index << 3) + base, PCT_OFF);
}
function badWord(base: u32, index: u32): u64 {
  return load<u64>((index << 3) + base, BAD_OFF);
}

const ALL_BITS: u64 = 0xffffffffffffffff;

/** The bits of a word from the one of position `position` on. */
function bitsFrom(position: u32): u64 {
  return ALL_BITS << ((position & 63) as u64);
}

/** The bits of a word up to the one of position `position`, included. */
function bitsThrough(position: u32): u64 {
  return ALL_BITS >> ((63 - (position & 63)) as u64);
}

/** The bits of a word below the one of position `position`. */
function bitsBelow(position: u32): u64 {
  return ((1 as u64) << ((position & 63) as u64)) - 1;
}

/** The position of the lowest bit of `w`, word `index` of its array. */
function lowest(index: u32, w: u64): u32 {
  return (index << 6) + (ctz<u64>(w) as u32);
}

/** Copies bytes [from, upto) of the chunk at `base` to `out`, sixteen at a time (the last store may run past them). */
function copy(base: u32, from: u32, upto: u32, out: u32): void {
  const n = upto - from;
  for (let i: u32 = 0; i < n; i += 16) v128.store(out + i, v128.load(from + i + base));
}

/** What a search answers when it finds nothing: above any position. */
const NONE: u32 = 0xffffffff;

/** The first LF of the slot at `base` at or after `from`, or NONE when none is in a word before `end`'s. */
function lfFrom(base: u32, from: u32, end: u32): u32 {
  let b = from >> 6;
  let w = lfWord(base, b) & bitsFrom(from);
  while (w === 0) {
    b++;
    if (b << 6 >= end) return NONE;
    w = lfWord(base, b);
  }
  return lowest(b, w);
}

/** The first comma or LF at or after `from`, or NONE when none is in a word before `end`'s. */
function commaOrLfFrom(base: u32, from: u32, end: u32): u32 {
  let b = from >> 6;
  let w = (commaWord(base, b) | lfWord(base, b)) & bitsFrom(from);
  while (w === 0) {
    b++;
    if (b << 6 >= end) return NONE;
    w = commaWord(base, b) | lfWord(base, b);
  }
  return lowest(b, w);
}

/** The first comma at or after `from` in the words up to word `last`, or NONE. */
function commaFrom(base: u32, from: u32, last: u32): u32 {
  let b = from >> 6;
  let w = commaWord(base, b) & bitsFrom(from);
  while (w === 0) {
    if (b >= last) return NONE;
    b++;
    w = commaWord(base, b);
  }
  return lowest(b, w);
}

/** The % signs at positions `from` through `through`. */
function percentsIn(base: u32, from: u32, through: u32): u32 {
  let b = from >> 6;
  const last = through >> 6;
  let w = percentWord(base, b) & bitsFrom(from);
  let n: u32 = 0;
  while (b !== last) {
    n += popcnt<u64>(w) as u32;
    b++;
    w = percentWord(base, b);
  }
  return n + (popcnt<u64>(w & bitsThrough(through)) as u32);
}

/**
 * ids(base, end): the id facts of each row of the classified chunk (see MAX_CHUNK_ROWS), from its
 * start (row 0, which may be the end of the previous chunk's last line) and after each LF, up to
 * the first row without an LF: the id runs to the first comma or LF; its escapes are decoded (into
 * the scratch, the plain runs sixteen bytes at a time) and the decoded bytes hashed (as hashKey does).
 */
function ids(base: u32, end: u32): void {
  let s: u32 = 0;
  let row: u32 = 0;
  while (row < (MAX_CHUNK_ROWS as u32)) {
    // The id ends at the first comma or LF.
    const idEnd = commaOrLfFrom(base, s, end);
    if (idEnd >= end) break;
    // Its escapes: its decoded length is its written one less two a %, as long as each decodes
    // to ASCII (checked while decoding).
    let escapes: u32 = 0;
    let n: u32 = 0;
    if (idEnd !== s) {
      escapes = percentsIn(base, s, idEnd - 1);
      n = idEnd - s - (escapes << 1);
    }
    let flags: u32 = 0;
    let h: u64 = 0;
    if (n > (MAX_KERNEL_ID as u32)) {
      flags = ID_TOO_LONG;
    } else {
      let src = s + base;
      if (escapes !== 0) {
        const scratch = base + SCRATCH_OFF;
        let out = scratch;
        let from = s;
        let b = s >> 6;
        let w = percentWord(base, b) & bitsFrom(s);
        do {
          while (w === 0) {
            b++;
            w = percentWord(base, b);
          }
          const at = lowest(b, w);
          w &= w - 1;
          copy(base, from, at, out);
          out += at - from;
          const value =
            ((load<u8>(HEX_AT + (load<u8>(at + base, 1) as u32)) as u32) << 4) |
            (load<u8>(HEX_AT + (load<u8>(at + base, 2) as u32)) as u32);
          if (value >= 0x80) {
            flags = ID_NOT_ASCII;
            break;
          }
          store<u8>(out, value as u8);
          out++;
          from = at + 3;
          escapes--;
        } while (escapes !== 0);
        if (flags === 0) {
          copy(base, from, idEnd, out);
          src = scratch;
        }
      }
      if (flags === 0) {
        // The decoded id's hash (see hashKey), and whether it has a + or a / (bytes past n are
        // zeroed, never either).
        let h1 = K1;
        let h2 = K2;
        let plusOrSlash = false;
        for (let i: u32 = 0; i < n; i += 16) {
          const v = piece(src, i, n);
          if (v128.any_true(v128.or(i8x16.eq(v, PLUS), i8x16.eq(v, SLASH)))) plusOrSlash = true;
          h1 = chain1(h1, v);
          h2 = chain2(h2, v);
        }
        h = finish(h1, h2, n << 1);
        if (plusOrSlash) flags = ID_PLUS_SLASH;
      }
    }
    const record = row * ROW_RECORD_BYTES + base + ROWS_OFF;
    store<u64>(record, h);
    store<u32>(record, n, 8);
    store<u32>(record, flags, 12);
    row++;
    // The next row starts after the LF at or after the id's end.
    const lf = lfFrom(base, idEnd, end);
    if (lf === NONE) break;
    s = lf + 1;
  }
  store<u32>(base, row, ROW_COUNT_OFF);
}

/** prepare(base, end): classify, then ids, for the chunk in the slot at `base`. */
export function prepare(base: u32, end: u32): void {
  classify(base, end);
  ids(base, end);
}

/** rows(base, from, to) -> the LFs of a classified chunk in [from, to): how many rows start between. */
export function rows(base: u32, from: u32, to: u32): u32 {
  if (to <= from) return 0;
  let b = from >> 6;
  const last = (to - 1) >> 6;
  let w = lfWord(base, b) & bitsFrom(from);
  let n: u32 = 0;
  while (b !== last) {
    n += popcnt<u64>(w) as u32;
    b++;
    w = lfWord(base, b);
  }
  // Bits up to to - 1 of the last word.
  return n + (popcnt<u64>(w & bitsThrough(to - 1)) as u32);
}

/**
 * Whether every bad bit of the row [s, e] (e its LF) is a space inside a field, which scanRow
 * takes as part of the value (or of the id, decoded as written) with nothing to report: a space
 * byte that is not the row's first byte, not just after a comma, not just before a comma or the
 * LF (TP027, a space at a field's edge), and not one of the two bytes after a % (TP021: a bad
 * bit there may also be the % check's, see classify). Any other bad bit is a reason to stop.
 * Called only for a row with bad bits: rows without any never come here.
 */
function innerSpacesOnly(base: u32, s: u32, e: u32): bool {
  let b = s >> 6;
  const last = e >> 6;
  let w = badWord(base, b) & bitsFrom(s);
  for (;;) {
    if (b === last) w &= bitsThrough(e);
    while (w !== 0) {
      const p = lowest(b, w);
      w &= w - 1;
      // Not the row's first byte, so p - 1 is the row's too; not the LF (not a space), so p + 1 is.
      if (p === s) return false;
      const at = p + base;
      if (load<u8>(at) !== 0x20) return false;
      const before = load<u8>(at - 1);
      if (before === 0x2c) return false;
      if (before === 0x25) return false;
      // p - 2 is the row's from s + 2 on (before, it is the LF of the row before).
      if (p - s >= 2 && load<u8>(at - 2) === 0x25) return false;
      const after = load<u8>(at, 1);
      if (after === 0x2c) return false;
      if (after === 0x0a) return false;
    }
    if (b === last) return true;
    b++;
    w = badWord(base, b);
  }
  // Not reached: the loop returns at the last word.
  return unreachable();
}

/**
 * scan(base, pos, row, end, columns, thirdParty, maxId, rowBudget, rowsLeft, bytesLeft, firstLine)
 * -> the first row not accepted. Positions are the chunk's (the slot at `base`), after prepare;
 * `row` is the ordinal of the row at `pos` (the LFs before it). Accepts rows from `pos` while
 * they are clean (a space inside a field included) and complete (LF before `end`), logging each id (rows are numbered from line
 * `firstLine`); stops at the first other row, when a partition of the log is full, and before a
 * row that would not fit in `rowsLeft` rows and under `bytesLeft` bytes (the upload being
 * planned). Writes the rows and their bytes to the state words. `rowBudget` is the most bytes a
 * row may have for its decoded data plus the header's names to stay within the 64 KB limit for
 * certain.
 */
export function scan(
  base: u32,
  pos: u32,
  row: u32,
  end: u32,
  columns: u32,
  thirdParty: u32,
  maxId: u32,
  rowBudget: u32,
  rowsLeft: u32,
  bytesLeft: u32,
  firstLine: u32,
): u32 {
  const refused = (thirdParty * ID_PLUS_SLASH) | ID_TOO_LONG | ID_NOT_ASCII;
  // Each reason to stop is an `if` of its own: written as `a || b`, the optimizer makes one value
  // of both, which V8 runs about a tenth slower here (npm run bench).
  let s = pos;
  let count: u32 = 0;
  let bytes: u32 = 0;
  while (count < rowsLeft) {
    // A partition of the id log is full: JavaScript makes room.
    if (load<u32>(FULL_AT) !== 0) break;

    // The LF that ends the row, or stop: the row is not complete in this chunk.
    const e = lfFrom(base, s, end);
    if (e >= end) break;
    const last = e >> 6;

    // The comma that ends the id: there must be one before the LF, and an id before it.
    const idEnd = commaFrom(base, s, last);
    if (idEnd >= e) break;
    if (idEnd === s) break;

    // Every bad bit from the row's start through its LF (a % just before the LF marks the LF),
    // and the commas before the LF.
    let b = s >> 6;
    let wb = badWord(base, b) & bitsFrom(s);
    let w = commaWord(base, b) & bitsFrom(s);
    let commas: u32 = 0;
    let bad: u64 = 0;
    while (b !== last) {
      commas += popcnt<u64>(w) as u32;
      bad |= wb;
      b++;
      wb = badWord(base, b);
      w = commaWord(base, b);
    }
    // A bad bit is most often a space inside a field, which is no reason to stop (see
    // innerSpacesOnly); only a row with bad bits pays for that look.
    if ((bad | (wb & bitsThrough(e))) !== 0) {
      if (!innerSpacesOnly(base, s, e)) break;
    }
    commas += popcnt<u64>(w & bitsBelow(e)) as u32;
    // No more fields than the header has, and at least one value that is not empty.
    if (commas >= columns) break;
    if (e - idEnd === commas) break;
    if (e - s > rowBudget) break;
    if (bytes + e - s + 1 >= bytesLeft) break;

    // Only a row this long can have a value over the limit: measure each one then, from comma
    // to comma.
    if (e - idEnd > LONGEST_FIELD) {
      let prev = idEnd;
      b = idEnd >> 6;
      w = commaWord(base, b) & (bitsFrom(idEnd) << 1);
      let tooLong = false;
      for (;;) {
        while (w === 0 && b < last) {
          b++;
          w = commaWord(base, b);
        }
        if (w === 0) break;
        const x = lowest(b, w);
        if (x >= e) break;
        if (x - prev > LONGEST_FIELD) {
          tooLong = true;
          break;
        }
        prev = x;
        w &= w - 1;
      }
      if (tooLong || e - prev > LONGEST_FIELD) break;
    }

    // The id, from its record (prepared with the chunk): within the limits, ASCII once decoded,
    // and for a thirdPartyId without + or / (TP012).
    if (row >= load<u32>(base, ROW_COUNT_OFF)) break;
    const record = row * ROW_RECORD_BYTES + base + ROWS_OFF;
    if ((load<u32>(record, 12) & refused) !== 0) break;
    if (load<u32>(record, 8) > maxId) break;
    appendRecord(load<u64>(record), firstLine + count);
    count++;
    row++;
    bytes += e - s + 1;
    s = e + 1;
  }
  store<u32>(ROWS_AT, count);
  store<u32>(BYTES_AT, bytes);
  return s;
}
