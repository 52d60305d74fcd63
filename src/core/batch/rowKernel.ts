import { KeyBuffer, type IdSet } from './idIndex';
import { FunctionBody, I32, I64, V128, assemble } from './wasmAssembler';

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
 *   few instructions a row, and the id's hash into the log.
 *
 * Preparing is most of the work and needs nothing but the chunk, so a worker thread sharing the
 * memory reads and prepares chunks ahead of the scan, and the main thread prepares a later chunk
 * itself whenever the worker is busy with the one it needs (see take): a validation uses two
 * cores. Only the scan, which carries the file's state (lines, the upload planner, the log), is
 * the main thread's alone.
 *
 * The kernel is deliberately stricter than scanPlainRowBytes: it stops at the first row it has
 * any doubt about (a space, a long field, an id over the limit, a row near the 64 KB data limit)
 * and leaves that row to the JavaScript scanners, which decide exactly. Every row it accepts,
 * scanPlainRowBytes would accept with the same facts; the unit tests check that.
 *
 * Ids (for TP014) are logged as a 64-bit hash of the decoded id and its line, not as bytes:
 * storing 25 MB of ids for the 500,000-row bench file cost more in page faults than the whole
 * scan. After the pass, a hash seen before makes the row a *candidate* duplicate (see
 * candidates); validateFile confirms every candidate by reading those lines again and comparing
 * their decoded ids exactly (see confirmDuplicates in validator.ts), so no two different ids are
 * ever reported as one, whatever their hashes. With 64-bit hashes a file without duplicates has
 * no candidates, practically always, and is read once.
 *
 * The rows the JavaScript scanners take log their ids the same way through `addKey` (this class
 * is then the validation's IdSet), so a duplicate is found whichever path either row took.
 *
 * Memory layout (one instance per validation at a time, so concurrent validations never share
 * it): the hex values, the state words, the key area, two dedupe lanes (a table and its
 * candidates each: the main thread's and the worker's), and the chunk slots (a chunk, its bit
 * arrays, its row records and a decode scratch each); above them, taken by growing the memory
 * from JavaScript (the kernel never grows it: it stops and lets the caller make room), the log's
 * segments.
 */

const HEX_AT = 0;
// State words, shared by the kernel and the class below.
const ROWS_AT = 256;
const BYTES_AT = 260;
/** Set when a partition of the id log has no room for one more record. */
const FULL_AT = 264;
/** An i64 the hashes are and-ed with: all ones, except in tests that want hashes to collide. */
const HASH_MASK_AT = 280;
/** The id log's partitions: where each one's next record goes, and the end of its segment. */
const PARTITION_BITS = 5;
const PARTITIONS = 1 << PARTITION_BITS;
const NEXT_AT = 512;
const END_AT = NEXT_AT + 4 * PARTITIONS;
/** Where a validation's worker and its main thread meet (see take): Int32 words. */
const JOB_AT = 768;
const NEXT_CHUNK_AT = JOB_AT;
const SLOT_STATE_AT = JOB_AT + 16;
const SLOT_CHUNK_AT = SLOT_STATE_AT + 16;
const SLOT_LENGTH_AT = SLOT_CHUNK_AT + 16;
/** The key of a row the JavaScript path took (keys longer than this get room of their own). */
const KEY_AT = 1024;
const KEY_BYTES = 1 << 16;
/** Slack past any key: the hash reads eight bytes at a time. */
const KEY_SLACK = 16;
/** An id log record: the id's hash (i64) and its line. */
const RECORD_BYTES = 12;
/** A partition's log grows by segments of this size. */
const SEGMENT_BYTES = 256 << 10;
/**
 * A dedupe lane: the table of one pass, (hash, first line) slots of 16 bytes, at most
 * MAX_PASS_SLOTS, after its mask and entry count, then the candidates of one dedupe call (one
 * segment): line, and the first line with the same hash. Two lanes: the main thread's and the
 * worker's, which dedupe partitions at the same time (see candidates).
 */
const LANE_MASK = 0;
const LANE_ENTRIES = 4;
const LANE_TABLE = 64;
const DEDUPE_SLOT_BYTES = 16;
const MAX_PASS_SLOTS = 1 << 16;
const LANE_CANDIDATES = LANE_TABLE + MAX_PASS_SLOTS * DEDUPE_SLOT_BYTES;
const CANDIDATE_BYTES = 8;
const LANE_BYTES = LANE_CANDIDATES + (SEGMENT_BYTES / RECORD_BYTES + 1) * CANDIDATE_BYTES;
const LANES_AT = KEY_AT + KEY_BYTES + 64;
const laneBase = (lane: number) => LANES_AT + lane * Math.ceil(LANE_BYTES / 64) * 64;
/** Ids a pass is planned for: the table stays under 3/8 full, in the core's second-level cache. */
const PASS_IDS = 24 << 10;
/** Where the file is read to; also the chunk size, so that the two cannot drift apart. */
export const KERNEL_CHUNK_BYTES = 1 << 20;
/**
 * Chunk slots: a chunk and its bit arrays (one bit per byte of the chunk, read 64 bits at a time,
 * and 64 bits past the end), at these offsets from the slot's base. Three, so that one chunk is
 * scanned while the next ones are read and prepared.
 */
const SLOTS = 3;
const SLOTS_AT = laneBase(2);
const BITS_BYTES = KERNEL_CHUNK_BYTES / 8 + 64;
// 64 bytes past the chunk: the last block's loads stay in memory that is not the chunk's.
const LF_OFF = KERNEL_CHUNK_BYTES + 64;
const COMMA_OFF = LF_OFF + BITS_BYTES;
const PCT_OFF = COMMA_OFF + BITS_BYTES;
const BAD_OFF = PCT_OFF + BITS_BYTES;
/**
 * Each row's id facts, prepared with the chunk (see idsFunction), by the row's ordinal in the
 * chunk (the LFs before it): the hash of its decoded id (i64), its decoded length, and flags.
 * A chunk of more rows (under 8 bytes each on average) has records for its first ones only.
 */
const MAX_CHUNK_ROWS = 1 << 17;
const ROW_RECORD_BYTES = 16;
const ROWS_OFF = BAD_OFF + BITS_BYTES;
/** How many rows of the chunk have a record (i32). */
const ROW_COUNT_OFF = ROWS_OFF + MAX_CHUNK_ROWS * ROW_RECORD_BYTES;
/**
 * A decoded id: at most MAX_KERNEL_ID bytes, and room for 16-byte stores and 8-byte loads past
 * it. One a slot: the worker and the main thread may prepare two chunks at once.
 */
const SCRATCH_OFF = ROW_COUNT_OFF + 64;
const SCRATCH_BYTES = 512;
const SLOT_BYTES = SCRATCH_OFF + SCRATCH_BYTES;
// Row record flags: the id is longer than the kernel decodes, holds an escape of a byte from 0x80
// (UTF-8, or not hex), or decodes to a + or / (TP012 for a thirdPartyId).
const ID_TOO_LONG = 1;
const ID_NOT_ASCII = 2;
const ID_PLUS_SLASH = 4;
const slotBase = (slot: number) => SLOTS_AT + slot * SLOT_BYTES;
const FIXED_PAGES = Math.ceil(slotBase(SLOTS) / 65536);
/** The memory a kernel starts with, for tests of a memory that cannot grow. */
export const KERNEL_FIXED_BYTES = FIXED_PAGES * 65536;
/** The longest id the kernel decodes; a longer one is left to scanPlainRowBytes. */
const MAX_KERNEL_ID = 256;
/** The longest value (as written) the kernel accepts, so that no decoded length needs counting. */
const MAX_KERNEL_VALUE = 256;
/** A line no row has: what a lookup answers for a new id. */
const NO_LINE = -1;
/** What a dedupe call answers when its table is full (more distinct ids than planned). */
const TABLE_FULL = -2;

// The module's functions, by index.
const HASH_FN = 0;
const ADD_FN = 1;
const CLASSIFY_FN = 2;
const SCAN_FN = 3;
const DEDUPE_FN = 4;
const PROBE_FN = 5;
const CLEAR_FN = 6;
const IDS_FN = 7;
const PREPARE_FN = 8;
const ROWS_FN = 9;

/** The bytes 0 to 15, for the mask of a vector's first n bytes. */
const IOTA = Array.from({ length: 16 }, (_, i) => i);
// Odd 64-bit multipliers (from the golden ratio and MurmurHash3) and its finalizer's constants.
const K1 = 0x9e3779b97f4a7c15n;
const K2 = 0x87c37b91114253d5n;
const K3 = 0x4cf5ad432745937fn;

/**
 * Emits the 64-bit hash of the n bytes at `src` (locals named by the arguments) into the i64
 * local `h`; never 0, which marks an empty slot. Sixteen bytes a step (the last step's bytes past
 * n are masked to 0, which is unambiguous because `packed`, the length as units * 2 + wide flag,
 * is mixed in at the end), each half into one of two independent multiply-rotate chains, then
 * MurmurHash3's finalizer. One emitter serves the kernel's rows and the keys JavaScript writes, so
 * the two hash alike. When `forbidden` names two v128 locals, a byte of the id equal to a lane of
 * either one sets `flag` in the i32 local `flags` (+ and /; bytes past n are 0, never forbidden).
 *
 * Needs the locals i (i32), h, h1, h2 (i64), v, iota (v128, the bytes 0-15).
 */
function emitHash(
  f: FunctionBody,
  src: string,
  n: string,
  packed: () => void,
  forbidden?: { a: string; b: string; flags: string; flag: number },
): void {
  f.const64(K1).set('h1');
  f.const64(K2).set('h2');
  f.const(0).set('i');
  f.block('hashed', () => {
    f.loop('piece', () => {
      f.get('i').get(n).geU().brIf('hashed');
      f.get(src).get('i').add().v128Load();
      f.get('iota')
        .const(16)
        .get(n)
        .get('i')
        .sub()
        .get(n)
        .get('i')
        .sub()
        .const(16)
        .geU()
        .select()
        .op8Splat()
        .i8LtU()
        .vAnd()
        .set('v');
      if (forbidden) {
        f.get('v')
          .get(forbidden.a)
          .i8Eq()
          .get('v')
          .get(forbidden.b)
          .i8Eq()
          .vOr()
          .anyTrue()
          .if(() => {
            f.get(forbidden.flags).const(forbidden.flag).or().set(forbidden.flags);
          });
      }
      f.get('h1').get('v').lane64(0).xor64().const64(K1).mul64().const64(31n).rotl64().set('h1');
      f.get('h2').get('v').lane64(1).xor64().const64(K2).mul64().const64(29n).rotl64().set('h2');
      f.get('i').const(16).add().set('i');
      f.br('piece');
    });
  });
  f.get('h1').get('h2').const64(32n).rotl64().xor64();
  packed();
  f.extend().const64(K3).mul64().xor64().set('h');
  const mix = (k: bigint) => {
    f.get('h').get('h').const64(33n).shrU64().xor64().const64(k).mul64().set('h');
  };
  mix(0xff51afd7ed558ccdn);
  mix(0xc4ceb9fe1a85ec53n);
  f.get('h').get('h').const64(33n).shrU64().xor64().const(0).load64(HASH_MASK_AT).and64().set('h');
  f.get('h').get('h').eqz64().extend().or64().set('h');
}

/** hash(at, n, packed) -> the hash of a key JavaScript wrote at `at` (see emitHash). */
function hashFunction(): FunctionBody {
  const f = new FunctionBody(
    [
      ['at', I32],
      ['n', I32],
      ['packed', I32],
    ],
    [I64],
  );
  f.local(I32, 'i').local(I64, 'h', 'h1', 'h2').local(V128, 'v', 'iota');
  f.v128Const(IOTA).set('iota');
  emitHash(f, 'at', 'n', () => f.get('packed'));
  f.get('h');
  return f;
}

/**
 * Appends (hash in local `h`, line) to the id log's partition for the hash's top bits, and sets
 * FULL_AT when that partition has no room left for another record. Uses the i32 locals `part`
 * and `to`.
 */
function appendRecord(f: FunctionBody, line: () => void): void {
  f.get('h')
    .const64(BigInt(64 - PARTITION_BITS))
    .shrU64()
    .wrap()
    .const(2)
    .shl()
    .tee('part')
    .load(NEXT_AT)
    .tee('to')
    .get('h')
    .store64();
  f.get('to');
  line();
  f.store(8);
  f.get('part').get('to').const(RECORD_BYTES).add().tee('to').store(NEXT_AT);
  f.get('to')
    .const(RECORD_BYTES)
    .add()
    .get('part')
    .load(END_AT)
    .gtU()
    .if(() => {
      f.const(0).const(1).store(FULL_AT);
    });
}

/** add(at, n, packed, line): logs the key JavaScript wrote at `at` (n bytes), hashed here. */
function addFunction(): FunctionBody {
  const f = new FunctionBody(
    [
      ['at', I32],
      ['n', I32],
      ['packed', I32],
      ['line', I32],
    ],
    [],
  );
  f.local(I32, 'part', 'to').local(I64, 'h');
  f.get('at').get('n').get('packed').call(HASH_FN).set('h');
  appendRecord(f, () => f.get('line'));
  return f;
}

/**
 * The probe of a dedupe pass (in the lane at local `lane`) for the hash in `h` and the line in
 * `line`: records the line when the hash is new, or leaves the line first recorded for it in
 * `first`; branches to `full` when the table has no room for a new hash.
 */
function probeSlot(f: FunctionBody, full: string, newId: string, seen: string): void {
  f.get('h').wrap().get('lane').load(LANE_MASK).and().set('slot');
  f.loop('probe', () => {
    f.get('slot').const(4).shl().get('lane').add().const(LANE_TABLE).add().tee('a').load64().set('x');
    f.get('x')
      .eqz64()
      .if(() => {
        f.get('lane').load(LANE_ENTRIES).get('lane').load(LANE_MASK).geU().brIf(full);
        f.get('a').get('h').store64();
        f.get('a').get('line').store(8);
        f.get('lane').get('lane').load(LANE_ENTRIES).const(1).add().store(LANE_ENTRIES);
        f.br(newId);
      });
    f.get('x')
      .get('h')
      .eq64()
      .if(() => {
        f.get('a').load(8).set('first');
        f.br(seen);
      });
    f.get('slot').const(1).add().get('lane').load(LANE_MASK).and().set('slot');
    f.br('probe');
  });
}

/**
 * dedupe(lane, from, to, shift, subMask, pass) -> candidates: runs the records of one log segment
 * [from, to) whose hash bits (h >>> shift) & subMask are `pass` through the lane's table, and
 * lists in the lane's candidates each record whose hash the table already had (its line and the
 * first line); TABLE_FULL when the table could not take a new hash.
 */
function dedupeFunction(): FunctionBody {
  const f = new FunctionBody(
    [
      ['lane', I32],
      ['from', I32],
      ['to', I32],
      ['shift', I32],
      ['subMask', I32],
      ['pass', I32],
    ],
    [I32],
  );
  f.local(I32, 'r', 'out', 'slot', 'a', 'line', 'first').local(I64, 'h', 'x');
  f.get('from').set('r');
  f.get('lane').const(LANE_CANDIDATES).add().set('out');
  f.block('full', () => {
    f.block('done', () => {
      f.loop('record', () => {
        f.get('r').get('to').geU().brIf('done');
        f.block('next', () => {
          f.get('r').load64().set('h');
          f.get('h').get('shift').extend().shrU64().wrap().get('subMask').and().get('pass').ne().brIf('next');
          f.get('r').load(8).set('line');
          f.block('seen', () => {
            probeSlot(f, 'full', 'next', 'seen');
          });
          f.get('out').get('line').store();
          f.get('out').get('first').store(4);
          f.get('out').const(CANDIDATE_BYTES).add().set('out');
        });
        f.get('r').const(RECORD_BYTES).add().set('r');
        f.br('record');
      });
    });
    f.get('out').get('lane').const(LANE_CANDIDATES).add().sub().const(3).shrU().ret();
  });
  f.const(TABLE_FULL);
  return f;
}

/** probe(lane, h, line) -> the first line of `h` in the lane's table, NO_LINE after recording it, or TABLE_FULL. */
function probeFunction(): FunctionBody {
  const f = new FunctionBody(
    [
      ['lane', I32],
      ['h', I64],
      ['line', I32],
    ],
    [I32],
  );
  f.local(I32, 'slot', 'a', 'first').local(I64, 'x');
  f.block('full', () => {
    f.block('new', () => {
      f.block('seen', () => {
        probeSlot(f, 'full', 'new', 'seen');
      });
      f.get('first').ret();
    });
    f.const(NO_LINE).ret();
  });
  f.const(TABLE_FULL);
  return f;
}

/**
 * classify(end): the bit arrays for the chunk's first `end` bytes (see the file comment), 64
 * bytes a step. Each byte's class comes from two 16-entry tables, one by its low four bits, one
 * by its high four, and-ed (one instruction each): bits 0-3 mean bad, 4-5 hex digit, 6 %, 7
 * comma; LF is compared for. Bits at and past `end` are not the chunk's: the LF bits there are
 * cleared, and scan never reads the others past a row's LF.
 */
function classifyFunction(): FunctionBody {
  const low = new Array<number>(16).fill(0);
  const high = new Array<number>(16).fill(0);
  const both = (bit: number, lows: number[], highs: number[]) => {
    for (const l of lows) low[l] |= bit;
    for (const h of highs) high[h] |= bit;
  };
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  // Bad: controls but LF (0x00-0x1f), non-ASCII (0x80-0xff), space " & + (0x20 0x22 0x26 0x2b), DEL.
  both(
    1,
    range(0, 15).filter((l) => l !== 0xa),
    [0, 1, ...range(8, 15)],
  );
  both(2, [0xa], [1, ...range(8, 15)]);
  both(4, [0x0, 0x2, 0x6, 0xb], [2]);
  both(8, [0xf], [7]);
  // Hex digits: 0-9, then A-F and a-f.
  both(16, range(0, 9), [3]);
  both(32, range(1, 6), [4, 6]);
  both(64, [0x5], [2]);
  both(128, [0xc], [2]);

  const f = new FunctionBody(
    [
      ['base', I32],
      ['end', I32],
    ],
    [],
  );
  f.local(I32, 'p', 'limit', 'q', 'at');
  f.local(I64, 'lf', 'comma', 'percent', 'good', 'notHex', 'need', 'carry');
  f.local(V128, 'v', 'class', 'low', 'high', 's0f', 's0a', 's30', 'zero');
  // The constants, made once: the compiler does not hoist them out of the loop.
  f.v128Const(low).set('low');
  f.v128Const(high).set('high');
  f.splat(0x0f).set('s0f');
  f.splat(0x0a).set('s0a');
  f.splat(0x30).set('s30');
  f.get('base').set('p');
  f.get('base').set('q');
  f.get('base').get('end').add().set('limit');
  f.block('classified', () => {
    f.loop('block', () => {
      f.get('p').get('limit').geU().brIf('classified');
      for (let k = 0; k < 4; k++) {
        // Each mask's sixteen bits go to their place in the block's 64.
        const gather = (mask: string) => {
          f.extend();
          if (k > 0) {
            f.const64(BigInt(16 * k))
              .shl64()
              .get(mask)
              .or64();
          }
          f.set(mask);
        };
        f.get('p')
          .v128Load(16 * k)
          .set('v');
        f.get('low').get('v').get('s0f').vAnd().swizzle();
        f.get('high').get('v').const(4).i16ShrU().get('s0f').vAnd().swizzle();
        f.vAnd().set('class');
        f.get('v').get('s0a').i8Eq().bitmask();
        gather('lf');
        f.get('class').bitmask();
        gather('comma');
        f.get('class').get('class').i8Add().bitmask();
        gather('percent');
        f.get('class').get('s0f').vAnd().get('zero').i8Eq().bitmask();
        gather('good');
        f.get('class').get('s30').vAnd().get('zero').i8Eq().bitmask();
        gather('notHex');
      }
      f.get('q').get('lf').store64(LF_OFF);
      f.get('q').get('comma').store64(COMMA_OFF);
      f.get('q').get('percent').store64(PCT_OFF);
      // Each % needs hex digits in the next two bytes, which may be the next block's.
      f.get('percent').const64(1n).shl64().get('percent').const64(2n).shl64().or64().get('carry').or64().set('need');
      f.get('percent').const64(62n).shrU64().get('percent').const64(63n).shrU64().or64().set('carry');
      f.get('q').get('good').const64(-1n).xor64().get('need').get('notHex').and64().or64().store64(BAD_OFF);
      f.get('p').const(64).add().set('p');
      f.get('q').const(8).add().set('q');
      f.br('block');
    });
  });
  f.get('end')
    .const(63)
    .and()
    .if(() => {
      f.get('end').const(6).shrU().const(3).shl().get('base').add().const(LF_OFF).add().set('at');
      f.get('at')
        .get('at')
        .load64()
        .const64(1n)
        .get('end')
        .const(63)
        .and()
        .extend()
        .shl64()
        .const64(1n)
        .sub64()
        .and64()
        .store64();
    });
  return f;
}

// scan()'s parameters, by name and in order.
const SCAN_PARAMS: [string, typeof I32][] = [
  ['base', I32],
  ['pos', I32],
  ['row', I32],
  ['end', I32],
  ['columns', I32],
  ['thirdParty', I32],
  ['maxId', I32],
  ['rowBudget', I32],
  ['rowsLeft', I32],
  ['bytesLeft', I32],
  ['firstLine', I32],
];

/** Reading the bit arrays of the slot at local `base`, 64 bits at a time. */
function bitHelpers(f: FunctionBody) {
  return {
    word: (array: number, index: string) => f.get(index).const(3).shl().get('base').add().load64(array),
    bitsFrom: (position: string) => f.const64(-1n).get(position).const(63).and().extend().shl64(),
    /** The position of the lowest bit of `w` in word `index`. */
    position: (index: string) => f.get(index).const(6).shl().get('w').ctz64().wrap().add(),
  };
}

/**
 * ids(base, end): the id facts of each row of the classified chunk (see MAX_CHUNK_ROWS), from its
 * start (row 0, which may be the end of the previous chunk's last line) and after each LF, up to
 * the first row without an LF: the id runs to the first comma or LF; its escapes are decoded (into
 * the scratch, the plain runs sixteen bytes at a time) and the decoded bytes hashed (emitHash).
 * Part of preparing a chunk, which the worker does (see take), so that the scan only looks the
 * facts up.
 */
function idsFunction(): FunctionBody {
  const f = new FunctionBody(
    [
      ['base', I32],
      ['end', I32],
    ],
    [],
  );
  f.local(
    I32,
    's',
    'b',
    'last',
    'idEnd',
    'escapes',
    'n',
    'src',
    'out',
    'from',
    'x',
    'i',
    'prev',
    'value',
    'row',
    'flags',
  );
  f.local(I64, 'w', 'h', 'h1', 'h2');
  f.local(V128, 'v', 'iota', 'plus', 'slash');
  const { word, bitsFrom, position } = bitHelpers(f);
  // Copies the bytes of the chunk from `from` to `upto` (an expression) to `out`, sixteen at a
  // time (the last store may run past them, into the scratch's slack), and moves `out` past them.
  const copy = (upto: () => void) => {
    f.const(0).set('i');
    upto();
    f.get('from').sub().set('x');
    f.block('copied', () => {
      f.loop('copy', () => {
        f.get('i').get('x').geU().brIf('copied');
        f.get('out').get('i').add().get('from').get('i').add().get('base').add().v128Load().v128Store();
        f.get('i').const(16).add().set('i');
        f.br('copy');
      });
    });
    f.get('out').get('x').add().set('out');
  };
  // The first set bit of `array` | LF from `from` on, into local `at`, or leave `block`.
  const next = (array: number, from: string, at: string, block: string) => {
    f.get(from).const(6).shrU().set('b');
    word(array, 'b');
    word(LF_OFF, 'b').or64();
    bitsFrom(from);
    f.and64().set('w');
    f.block('found', () => {
      f.loop('next', () => {
        f.get('w').eqz64().eqz().brIf('found');
        f.get('b').const(1).add().tee('b').const(6).shl().get('end').geU().brIf(block);
        word(array, 'b');
        word(LF_OFF, 'b').or64().set('w');
        f.br('next');
      });
    });
    position('b').tee(at).get('end').geU().brIf(block);
  };

  f.v128Const(IOTA).set('iota');
  f.splat(0x2b).set('plus');
  f.splat(0x2f).set('slash');
  f.block('done', () => {
    f.loop('row', () => {
      f.get('row').const(MAX_CHUNK_ROWS).geU().brIf('done');
      // The id ends at the first comma or LF.
      next(COMMA_OFF, 's', 'idEnd', 'done');
      f.const(0).set('flags');
      f.const(0).set('escapes');
      f.const64(0n).set('h');
      // Its escapes: its decoded length is its written one less two a %, as long as each decodes
      // to ASCII (checked while decoding).
      f.get('idEnd')
        .get('s')
        .eq()
        .if(() => {
          f.const(0).set('n');
        });
      f.get('idEnd')
        .get('s')
        .ne()
        .if(() => {
          f.get('idEnd').const(1).sub().const(6).shrU().set('last');
          f.get('s').const(6).shrU().set('b');
          word(PCT_OFF, 'b');
          bitsFrom('s');
          f.and64().set('w');
          f.const(0).set('escapes');
          f.block('counted', () => {
            f.loop('next', () => {
              f.get('b').get('last').eq().brIf('counted');
              f.get('escapes').get('w').popcnt64().wrap().add().set('escapes');
              f.get('b').const(1).add().set('b');
              word(PCT_OFF, 'b').set('w');
              f.br('next');
            });
          });
          f.get('escapes')
            .get('w')
            .const64(-1n)
            .const(63)
            .get('idEnd')
            .const(1)
            .sub()
            .const(63)
            .and()
            .sub()
            .extend()
            .shrU64()
            .and64()
            .popcnt64()
            .wrap()
            .add()
            .set('escapes');
          f.get('idEnd').get('s').sub().get('escapes').const(1).shl().sub().set('n');
        });
      f.block('described', () => {
        f.get('n')
          .const(MAX_KERNEL_ID)
          .gtU()
          .if(() => {
            f.const(ID_TOO_LONG).set('flags');
            f.br('described');
          });
        f.get('s').get('base').add().set('src');
        f.get('escapes').if(() => {
          f.get('base').const(SCRATCH_OFF).add().set('out');
          f.get('s').set('from');
          f.get('s').const(6).shrU().set('b');
          word(PCT_OFF, 'b');
          bitsFrom('s');
          f.and64().set('w');
          f.loop('escape', () => {
            f.block('found', () => {
              f.loop('next', () => {
                f.get('w').eqz64().eqz().brIf('found');
                f.get('b').const(1).add().set('b');
                word(PCT_OFF, 'b').set('w');
                f.br('next');
              });
            });
            position('b').set('prev');
            f.get('w').get('w').const64(1n).sub64().and64().set('w');
            copy(() => f.get('prev'));
            f.get('prev')
              .get('base')
              .add()
              .load8(1)
              .load8(HEX_AT)
              .const(4)
              .shl()
              .get('prev')
              .get('base')
              .add()
              .load8(2)
              .load8(HEX_AT)
              .or()
              .tee('value');
            f.const(0x80)
              .geU()
              .if(() => {
                f.const(ID_NOT_ASCII).set('flags');
                f.br('described');
              });
            f.get('out').get('value').store8();
            f.get('out').const(1).add().set('out');
            f.get('prev').const(3).add().set('from');
            f.get('escapes').const(1).sub().tee('escapes').brIf('escape');
          });
          copy(() => f.get('idEnd'));
          f.get('base').const(SCRATCH_OFF).add().set('src');
        });
        emitHash(f, 'src', 'n', () => f.get('n').const(1).shl(), {
          a: 'plus',
          b: 'slash',
          flags: 'flags',
          flag: ID_PLUS_SLASH,
        });
      });
      f.get('row').const(4).shl().get('base').add().const(ROWS_OFF).add().tee('x').get('h').store64();
      f.get('x').get('n').store(8);
      f.get('x').get('flags').store(12);
      f.get('row').const(1).add().set('row');
      // The next row starts after the LF at or after the id's end.
      f.get('idEnd').set('s');
      f.block('rowEnd', () => {
        f.get('s').const(6).shrU().set('b');
        word(LF_OFF, 'b');
        bitsFrom('s');
        f.and64().set('w');
        f.block('found', () => {
          f.loop('next', () => {
            f.get('w').eqz64().eqz().brIf('found');
            f.get('b').const(1).add().tee('b').const(6).shl().get('end').geU().brIf('done');
            word(LF_OFF, 'b').set('w');
            f.br('next');
          });
        });
        position('b').const(1).add().set('s');
      });
      f.br('row');
    });
  });
  f.get('base').get('row').store(ROW_COUNT_OFF);
  return f;
}

/**
 * scan(base, pos, row, end, columns, thirdParty, maxId, rowBudget, rowsLeft, bytesLeft, firstLine)
 * -> the first row not accepted. Positions are the chunk's (the slot at `base`), after classify
 * and ids; `row` is the ordinal of the row at `pos` (the LFs before it). Accepts rows from `pos`
 * while they are clean and complete (LF before `end`), logging each id (rows are numbered from
 * line `firstLine`); stops at the first other row, when a partition of the log is full, and before
 * a row that would not fit in `rowsLeft` rows and under `bytesLeft` bytes (the upload being
 * planned). Writes the rows and their bytes to the state words. `rowBudget` is the most bytes a
 * row may have for its decoded data plus the header's names to stay within the 64 KB limit for
 * certain.
 */
function scanFunction(): FunctionBody {
  const f = new FunctionBody(SCAN_PARAMS, [I32]);
  f.local(I32, 's', 'e', 'b', 'last', 'idEnd', 'commas', 'count', 'bytes', 'x', 'prev', 'part', 'to');
  f.local(I64, 'w', 'wb', 'bad', 'h');
  const { word, bitsFrom, position } = bitHelpers(f);

  f.get('pos').set('s');
  f.block('done', () => {
    f.loop('row', () => {
      f.get('count').get('rowsLeft').geU().brIf('done');
      // A partition of the id log is full: JavaScript makes room.
      f.const(0).load(FULL_AT).brIf('done');

      // The LF that ends the row, or stop: the row is not complete in this chunk.
      f.get('s').const(6).shrU().set('b');
      word(LF_OFF, 'b');
      bitsFrom('s');
      f.and64().set('w');
      f.block('found', () => {
        f.loop('next', () => {
          f.get('w').eqz64().eqz().brIf('found');
          f.get('b').const(1).add().tee('b').const(6).shl().get('end').geU().brIf('done');
          word(LF_OFF, 'b').set('w');
          f.br('next');
        });
      });
      position('b').tee('e').get('end').geU().brIf('done');
      f.get('e').const(6).shrU().set('last');

      // The comma that ends the id: there must be one before the LF, and an id before it.
      f.get('s').const(6).shrU().set('b');
      word(COMMA_OFF, 'b');
      bitsFrom('s');
      f.and64().set('w');
      f.block('found', () => {
        f.loop('next', () => {
          f.get('w').eqz64().eqz().brIf('found');
          f.get('b').get('last').geU().brIf('done');
          f.get('b').const(1).add().set('b');
          word(COMMA_OFF, 'b').set('w');
          f.br('next');
        });
      });
      position('b').tee('idEnd').get('e').geU().brIf('done');
      f.get('idEnd').get('s').eq().brIf('done');

      // Every bad bit from the row's start through its LF (a % just before the LF marks the LF),
      // and the commas before the LF.
      f.get('s').const(6).shrU().set('b');
      word(BAD_OFF, 'b');
      bitsFrom('s');
      f.and64().set('wb');
      word(COMMA_OFF, 'b');
      bitsFrom('s');
      f.and64().set('w');
      f.const(0).set('commas');
      f.const64(0n).set('bad');
      f.block('counted', () => {
        f.loop('next', () => {
          f.get('b').get('last').eq().brIf('counted');
          f.get('commas').get('w').popcnt64().wrap().add().set('commas');
          f.get('bad').get('wb').or64().set('bad');
          f.get('b').const(1).add().set('b');
          word(BAD_OFF, 'b').set('wb');
          word(COMMA_OFF, 'b').set('w');
          f.br('next');
        });
      });
      f.get('bad')
        .get('wb')
        .const64(2n)
        .get('e')
        .const(63)
        .and()
        .extend()
        .shl64()
        .const64(1n)
        .sub64()
        .and64()
        .or64()
        .eqz64()
        .eqz()
        .brIf('done');
      f.get('commas')
        .get('w')
        .const64(1n)
        .get('e')
        .const(63)
        .and()
        .extend()
        .shl64()
        .const64(1n)
        .sub64()
        .and64()
        .popcnt64()
        .wrap()
        .add()
        .set('commas');
      // No more fields than the header has, and at least one value that is not empty.
      f.get('commas').get('columns').geU().brIf('done');
      f.get('e').get('idEnd').sub().get('commas').eq().brIf('done');
      f.get('e').get('s').sub().get('rowBudget').gtU().brIf('done');
      f.get('bytes').get('e').add().get('s').sub().const(1).add().get('bytesLeft').geU().brIf('done');

      // Only a row this long can have a value over the limit: measure each one then, from comma
      // to comma.
      f.get('e')
        .get('idEnd')
        .sub()
        .const(MAX_KERNEL_VALUE + 1)
        .gtU()
        .if(() => {
          f.get('idEnd').set('prev');
          f.get('idEnd').const(6).shrU().set('b');
          word(COMMA_OFF, 'b');
          f.const64(-2n).get('idEnd').const(63).and().extend().shl64().and64().set('w');
          f.block('measured', () => {
            f.loop('field', () => {
              f.block('found', () => {
                f.loop('next', () => {
                  f.get('w').eqz64().eqz().brIf('found');
                  f.get('b').get('last').geU().brIf('measured');
                  f.get('b').const(1).add().set('b');
                  word(COMMA_OFF, 'b').set('w');
                  f.br('next');
                });
              });
              position('b').tee('x').get('e').geU().brIf('measured');
              f.get('x')
                .get('prev')
                .sub()
                .const(MAX_KERNEL_VALUE + 1)
                .gtU()
                .brIf('done');
              f.get('x').set('prev');
              f.get('w').get('w').const64(1n).sub64().and64().set('w');
              f.br('field');
            });
          });
          f.get('e')
            .get('prev')
            .sub()
            .const(MAX_KERNEL_VALUE + 1)
            .gtU()
            .brIf('done');
        });

      // The id, from its record (prepared with the chunk): within the limits, ASCII once decoded,
      // and for a thirdPartyId without + or / (TP012).
      f.get('row').get('base').load(ROW_COUNT_OFF).geU().brIf('done');
      f.get('row').const(4).shl().get('base').add().const(ROWS_OFF).add().set('x');
      f.get('x')
        .load(12)
        .get('thirdParty')
        .const(ID_PLUS_SLASH)
        .mul()
        .const(ID_TOO_LONG | ID_NOT_ASCII)
        .or()
        .and()
        .brIf('done');
      f.get('x').load(8).get('maxId').gtU().brIf('done');
      f.get('x').load64().set('h');
      appendRecord(f, () => f.get('firstLine').get('count').add());
      f.get('count').const(1).add().set('count');
      f.get('row').const(1).add().set('row');
      f.get('bytes').get('e').add().get('s').sub().const(1).add().set('bytes');
      f.get('e').const(1).add().set('s');
      f.br('row');
    });
  });
  f.const(0).get('count').store(ROWS_AT);
  f.const(0).get('bytes').store(BYTES_AT);
  f.get('s');
  return f;
}

/** The memory's largest size: WebAssembly's 4 GiB. */
const MAX_PAGES = 65536;

/** clear(at, n): zeroes n bytes (a typed array's fill is slow on a shared memory). */
function clearFunction(): FunctionBody {
  const f = new FunctionBody(
    [
      ['at', I32],
      ['n', I32],
    ],
    [],
  );
  f.get('at').const(0).get('n').fill();
  return f;
}

/** prepare(base, end): classify, then ids, for the chunk in the slot at `base`. */
function prepareFunction(): FunctionBody {
  const f = new FunctionBody(
    [
      ['base', I32],
      ['end', I32],
    ],
    [],
  );
  f.get('base').get('end').call(CLASSIFY_FN);
  f.get('base').get('end').call(IDS_FN);
  return f;
}

/** rows(base, from, to) -> the LFs of a classified chunk in [from, to): how many rows start between. */
function rowsFunction(): FunctionBody {
  const f = new FunctionBody(
    [
      ['base', I32],
      ['from', I32],
      ['to', I32],
    ],
    [I32],
  );
  f.local(I32, 'b', 'last', 'n').local(I64, 'w');
  f.get('to')
    .get('from')
    .leU()
    .if(() => {
      f.const(0).ret();
    });
  f.get('from').const(6).shrU().set('b');
  f.get('to').const(1).sub().const(6).shrU().set('last');
  f.get('b')
    .const(3)
    .shl()
    .get('base')
    .add()
    .load64(LF_OFF)
    .const64(-1n)
    .get('from')
    .const(63)
    .and()
    .extend()
    .shl64()
    .and64()
    .set('w');
  f.block('counted', () => {
    f.loop('word', () => {
      f.get('b').get('last').eq().brIf('counted');
      f.get('n').get('w').popcnt64().wrap().add().set('n');
      f.get('b').const(1).add().tee('b').const(3).shl().get('base').add().load64(LF_OFF).set('w');
      f.br('word');
    });
  });
  // Bits up to to - 1 of the last word.
  f.get('n')
    .get('w')
    .const64(-1n)
    .const(63)
    .get('to')
    .const(1)
    .sub()
    .const(63)
    .and()
    .sub()
    .extend()
    .shrU64()
    .and64()
    .popcnt64()
    .wrap()
    .add();
  return f;
}

function kernelModule(shared: boolean): Uint8Array {
  const functions = [
    hashFunction(),
    addFunction(),
    classifyFunction(),
    scanFunction(),
    dedupeFunction(),
    probeFunction(),
    clearFunction(),
    idsFunction(),
    prepareFunction(),
    rowsFunction(),
  ];
  return assemble(
    functions,
    { pages: FIXED_PAGES, maxPages: MAX_PAGES, shared },
    {
      hash: HASH_FN,
      add: ADD_FN,
      prepare: PREPARE_FN,
      scan: SCAN_FN,
      dedupe: DEDUPE_FN,
      probe: PROBE_FN,
      clear: CLEAR_FN,
      rows: ROWS_FN,
    },
  );
}

// The little of WebAssembly used here: the project's libraries (ES2022, Node, no DOM) declare none.
interface WasmModule {
  readonly kind?: 'module';
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared?: boolean }) => WasmMemory;
};

interface KernelExports {
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

/** Each variant compiled on first use; null once compiling failed, so that it is not tried again. */
const compiled: { plain?: WasmModule | null; shared?: WasmModule | null } = {};

function compiledModule(shared: boolean): WasmModule | null {
  const key = shared ? 'shared' : 'plain';
  if (compiled[key] === undefined) {
    try {
      compiled[key] = new WebAssembly.Module(kernelModule(shared));
    } catch {
      compiled[key] = null;
    }
  }
  return compiled[key]!;
}

/**
 * For the unit tests only: hashes are and-ed with `hashMask`, so that different ids collide
 * often, the log grows by `segmentBytes`, so that small files fill segments, and `workerOnly`
 * leaves every chunk to the worker.
 */
export const kernelTesting = { hashMask: -1n, segmentBytes: SEGMENT_BYTES, workerOnly: false };

const NO_CURSOR = { slot: -1, pos: 0, row: 0 };

/** How long a kernel no validation uses is kept for the next one. */
const IDLE_MS = 20_000;
const pool: { idle?: RowKernel; timer?: ReturnType<typeof setTimeout> } = {};

// A chunk slot's states (SLOT_STATE_AT), and the claim word's layout (NEXT_CHUNK_AT): the
// validation's number in the top bits, so that a claim for an earlier validation cannot succeed.
const FREE = 0;
const CLAIMED = 1;
const READY = 2;
const CHUNK_BITS = 20;
const MAX_CHUNKS = 1 << CHUNK_BITS;
/** The largest file the kernel reads (1 TiB): chunk numbers fit the claim word below it. */
export const KERNEL_MAX_FILE_BYTES = MAX_CHUNKS * KERNEL_CHUNK_BYTES;
const JOBS = 1 << (31 - CHUNK_BITS);

/** What dedupePartition needs of the layout, passed to it (it runs in the worker from its source). */
const DEDUPE_LAYOUT = {
  partitionBits: PARTITION_BITS,
  passIds: PASS_IDS,
  maxPassSlots: MAX_PASS_SLOTS,
  slotBytes: DEDUPE_SLOT_BYTES,
  table: LANE_TABLE,
  mask: LANE_MASK,
  entries: LANE_ENTRIES,
  candidates: LANE_CANDIDATES,
  tableFull: TABLE_FULL,
};

/**
 * The candidates of one partition of the id log (its segments, `records` records in all), through
 * the table of the lane at `lane`: in passes, each for a range of the hash bits below the
 * partition's (as many as a table the size of the core's cache needs), and in finer ones when a
 * pass has more distinct hashes than its table holds. A partition holds its records in line
 * order, so the first line a table records for a hash is that hash's first. `afterSegments`
 * runs more ids through each pass's table (false when it filled up).
 *
 * Self-contained (it uses nothing but its arguments): the worker runs it from its source text.
 */
function dedupePartition(
  k: Pick<KernelExports, 'dedupe' | 'clear'>,
  words: Int32Array,
  lane: number,
  segments: [number, number][],
  records: number,
  L: typeof DEDUPE_LAYOUT,
  afterSegments?: (pass: number, shift: number, subMask: number, found: number[]) => boolean,
): number[] {
  let bits = 0;
  while (records / 2 ** bits > L.passIds) bits++;
  for (; ; bits++) {
    const found: number[] = [];
    const shift = 64 - L.partitionBits - bits;
    const subMask = 2 ** bits - 1;
    let slots = 64;
    while (slots < 2 * (records / 2 ** bits) && slots < L.maxPassSlots) slots *= 2;
    let full = false;
    for (let pass = 0; pass <= subMask && !full; pass++) {
      k.clear(lane + L.table, slots * L.slotBytes);
      words[(lane + L.mask) / 4] = slots - 1;
      words[(lane + L.entries) / 4] = 0;
      for (const [from, to] of segments) {
        const n = k.dedupe(lane, from, to, bits === 0 ? 0 : shift, subMask, pass);
        if (n === L.tableFull) {
          full = true;
          break;
        }
        const at = (lane + L.candidates) / 4;
        for (let c = 0; c < 2 * n; c++) found.push(words[at + c]);
      }
      if (!full && afterSegments && !afterSegments(pass, bits === 0 ? 0 : shift, subMask, found)) full = true;
    }
    if (!full) return found;
  }
}

/**
 * The worker's code, run with `eval` (so that no second file has to ship): it waits for a
 * validation, then claims the next chunk whose slot is free, reads it and prepares it, until the
 * file ends or the validation stops claiming. Its instance shares the kernel's memory.
 */
const WORKER_CODE = `
const { parentPort, workerData } = require('worker_threads');
const fs = require('fs');
const { module, memory, layout: L } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
const w = new Int32Array(memory.buffer);
const dedupePartition = (${dedupePartition.toString()});
parentPort.on('message', ({ job, path, size, dedupe, lane, layout }) => {
  if (dedupe) {
    let results;
    try {
      // The memory may have grown since: a view of all of it.
      const words = new Int32Array(memory.buffer);
      results = dedupe.map(({ segments, records }) => dedupePartition(k, words, lane, segments, records, layout));
    } catch {
      results = undefined;
    }
    parentPort.postMessage({ dedupe: results });
    return;
  }
  let fd;
  try {
    fd = fs.openSync(path, 'r');
    for (;;) {
      const next = Atomics.load(w, L.next / 4);
      const chunk = next & (L.maxChunks - 1);
      if ((next >>> L.chunkBits) !== job || chunk * L.chunkBytes >= size) break;
      const slot = chunk % L.slots;
      const state = L.state / 4 + slot;
      if (Atomics.load(w, state) !== L.free) {
        Atomics.wait(w, state, Atomics.load(w, state), 20);
        continue;
      }
      if (Atomics.compareExchange(w, L.next / 4, next, next + 1) !== next) continue;
      Atomics.store(w, L.chunk / 4 + slot, next);
      Atomics.store(w, state, L.claimed);
      Atomics.notify(w, state);
      const base = L.slotsAt + slot * L.slotBytes;
      let length;
      try {
        length = fs.readSync(fd, new Uint8Array(memory.buffer, base, L.chunkBytes), 0, L.chunkBytes, chunk * L.chunkBytes);
        if (length > 0) k.prepare(base, length);
      } catch {
        length = -1;
      }
      Atomics.store(w, L.length / 4 + slot, length);
      Atomics.store(w, state, L.ready);
      Atomics.notify(w, state);
    }
  } catch {
    // The main thread reads and prepares what is left.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
});
`;

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
  private readonly segmentBytes = Math.min(kernelTesting.segmentBytes, SEGMENT_BYTES);
  /** Log segments of an earlier validation, free for this one. */
  private readonly spare: number[] = [];
  /** Room for a key longer than the fixed key area. */
  private bigKeyAt = 0;
  private bigKeyBytes = 0;
  private memory!: Uint8Array;
  private words!: Int32Array;
  private readonly exports: KernelExports;
  /** The preparing worker, once started (see acquire); undefined where workers are missing. */
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
    instance: { readonly exports: unknown },
    private readonly wasmMemory: WasmMemory,
    private readonly module: WasmModule,
    private readonly shared: boolean,
    private readonly hex: Int8Array,
  ) {
    super();
    this.exports = instance.exports as KernelExports;
    this.refresh();
  }

  /**
   * A kernel with `hex` (the value of each hex digit's byte, -1 for other bytes). `maxBytes`
   * (tests) bounds its memory; `shared` gives it a memory a worker can share (see acquire).
   */
  static create(hex: Int8Array, maxBytes = 2 ** 32, shared = false): RowKernel | undefined {
    try {
      const module = compiledModule(shared);
      if (module === null) return undefined;
      const memory = new WebAssembly.Memory({
        initial: FIXED_PAGES,
        maximum: Math.min(MAX_PAGES, Math.floor(maxBytes / 65536)),
        shared,
      });
      const kernel = new RowKernel(new WebAssembly.Instance(module, { env: { memory } }), memory, module, shared, hex);
      for (let c = 0; c < 256; c++) kernel.memory[HEX_AT + c] = hex[c] < 0 ? 255 : hex[c];
      kernel.reset();
      return kernel;
    } catch {
      return undefined;
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
   */
  static acquire(hex: Int8Array): RowKernel | undefined {
    const kernel = pool.idle;
    if (kernel && kernel.hex === hex) {
      pool.idle = undefined;
      clearTimeout(pool.timer);
      kernel.reset();
      return kernel;
    }
    const fresh = RowKernel.create(hex, 2 ** 32, true) ?? RowKernel.create(hex);
    fresh?.startWorker();
    return fresh;
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

  private startWorker(): void {
    if (!this.shared) return;
    try {
      // Loaded here, not at the top: activating the extension does not need it.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { Worker } = require('worker_threads') as { Worker: new (code: string, options: object) => WorkerLike };
      const layout = {
        next: NEXT_CHUNK_AT,
        state: SLOT_STATE_AT,
        chunk: SLOT_CHUNK_AT,
        length: SLOT_LENGTH_AT,
        slotsAt: SLOTS_AT,
        slotBytes: SLOT_BYTES,
        slots: SLOTS,
        chunkBytes: KERNEL_CHUNK_BYTES,
        chunkBits: CHUNK_BITS,
        maxChunks: MAX_CHUNKS,
        free: FREE,
        claimed: CLAIMED,
        ready: READY,
      };
      const worker = new Worker(WORKER_CODE, {
        eval: true,
        workerData: { module: this.module, memory: this.wasmMemory, layout },
      });
      worker.unref();
      // A worker that fails leaves its chunks unclaimed, and its dedupe undone: the main thread does them.
      worker.on('error', () => this.answer?.(undefined));
      this.worker = worker;
    } catch {
      this.worker = undefined;
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
    this.worker?.postMessage({ job: this.job, path, size });
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
      const claim = !(kernelTesting.workerOnly && this.worker && k * KERNEL_CHUNK_BYTES < this.jobSize);
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
    const claim = !(kernelTesting.workerOnly && this.worker && next * KERNEL_CHUNK_BYTES < this.jobSize);
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
    if (kernelTesting.workerOnly) return false;
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
    new DataView(this.memory.buffer).setBigInt64(HASH_MASK_AT, kernelTesting.hashMask, true);
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
      if (bytes > this.bigKeyBytes) {
        const room = Math.max(bytes, 2 * this.bigKeyBytes);
        try {
          this.bigKeyAt = this.allocate(room + KEY_SLACK);
          this.bigKeyBytes = room;
        } catch {
          this.addOverlong(line);
          return -1;
        }
      }
      at = this.bigKeyAt;
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
    const mine: { segments: [number, number][]; records: number }[] = [];
    const theirs: { segments: [number, number][]; records: number }[] = [];
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
        if (this.worker && theirRecords < mineRecords) {
          theirs.push({ segments, records });
          theirRecords += records;
        } else {
          mine.push({ segments, records });
          mineRecords += records;
        }
      }
    }
    const remote = theirs.length > 0 ? this.dedupeOnWorker(theirs) : Promise.resolve([] as number[][]);
    for (const { segments, records } of mine) {
      for (const n of dedupePartition(this.exports, words, laneBase(0), segments, records, DEDUPE_LAYOUT)) {
        found.push(n);
      }
    }
    const results = await remote;
    if (results === undefined) {
      // The worker did not answer: its partitions are done here (and the kernel is not reused).
      for (const { segments, records } of theirs) {
        for (const n of dedupePartition(this.exports, this.words, laneBase(0), segments, records, DEDUPE_LAYOUT)) {
          found.push(n);
        }
      }
    } else {
      for (const list of results) for (const n of list) found.push(n);
    }
    return found;
  }

  /** Has the worker dedupe `partitions` in its lane: their candidates, or undefined when it does not answer. */
  private dedupeOnWorker(
    partitions: { segments: [number, number][]; records: number }[],
  ): Promise<number[][] | undefined> {
    const worker = this.worker!;
    return new Promise((resolve) => {
      // Also what keeps Node's event loop alive while the unref'd worker works.
      const timer = setTimeout(() => this.answer?.(undefined), 10_000);
      // Listened to only while waiting: a 'message' listener keeps the process alive, unref'd
      // worker or not (a process that validated a file would never exit).
      const onMessage = (message: { dedupe?: number[][] }) => this.answer?.(message.dedupe);
      this.answer = (results) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        this.answer = undefined;
        if (results === undefined) this.healthy = false;
        resolve(results);
      };
      worker.on('message', onMessage);
      worker.postMessage({ dedupe: partitions, lane: laneBase(1), layout: DEDUPE_LAYOUT });
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
    for (const n of dedupePartition(this.exports, this.words, lane, segments, records, DEDUPE_LAYOUT, probeOverflow)) {
      found.push(n);
    }
  }

  /** The kernel's hash of `n` bytes of the chunk from `pos`, for the tests. */
  hashChunk(pos: number, n: number, packed: number): bigint {
    return BigInt.asUintN(64, this.exports.hash(slotBase(0) + pos, n, packed));
  }

  /**
   * A key too long for any room the memory can still give: logged with a hash of its code units
   * computed here (FNV-1a), in the overflow. Only reached when the memory is exhausted; the same
   * key always takes this path then, so its duplicates are still found.
   */
  private addOverlong(line: number): void {
    let h = 0xcbf29ce484222325n;
    for (let i = 0; i < this.keyLength; i++) h = BigInt.asUintN(64, (h ^ BigInt(this.key[i])) * 0x100000001b3n);
    if (h === 0n) h = 1n;
    const part = this.overflow[Number(h >> BigInt(64 - PARTITION_BITS))];
    part.hashes.push(h);
    part.lines.push(line);
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
