import { HASH_SEED, IdIndex, KeyBuffer, type IdSet } from './idIndex';

/**
 * A WebAssembly loop for the clean rows of a batch file read from disk, and the file's id index.
 *
 * A JavaScript loop that looks at each byte of a 50 MB file once costs several times what reading
 * the file costs, so the rows that make up almost all of a real file (printable ASCII, escapes
 * well formed, nothing to report) are checked here instead, where the same loop runs at about
 * twice the speed and without a call per row. The module is small enough to be written out as
 * bytes by the assembler below, so it needs no toolchain and no dependency.
 *
 * The kernel is deliberately stricter than scanPlainRowBytes: it stops at the first row it has
 * any doubt about (a space, a long field, an id over the limit, a row near the 64 KB data limit)
 * and leaves that row to the JavaScript scanners, which decide exactly. Every row it accepts,
 * scanPlainRowBytes would accept with the same facts; the unit tests check that.
 *
 * The ids (for TP014) live in the same memory: a per-row JavaScript step to record each id cost
 * as much as the scan itself, so the kernel looks each accepted row's id up and records it, and
 * JavaScript only hears about the duplicates. The rows the JavaScript scanners take record their
 * ids in the same table through `add` (this class is then the validation's IdSet), so a duplicate
 * is found whichever path either row took. The table holds (hash, record) pairs, open addressing,
 * at most half full; a record holds the first row (f64, as IdIndex keeps it), the packed length
 * (units * 2 + wide flag) and the id's bytes (one a unit, or two little-endian for a wide id),
 * and is only read on a hash match, to compare the whole id.
 *
 * Memory layout (one instance per validation, so concurrent validations never share it): the
 * byte classes, the hex values, the state words, the chunk the file is read into and the
 * duplicates of the last scan; above them, taken as needed by growing the memory from JavaScript
 * (the kernel never grows it: it stops and lets the caller make room), the table and the record
 * arena in segments.
 */

const CLASS_AT = 0;
const HEX_AT = 256;
// State words, shared by the kernel and the class below.
const ROWS_AT = 512;
const BYTES_AT = 516;
const DUPS_AT = 520;
const TABLE_AT = 524;
const MASK_AT = 528;
const ENTRIES_AT = 532;
const LIMIT_AT = 536;
const ARENA_USED_AT = 540;
const ARENA_END_AT = 544;
/** Where the file is read to; also the chunk size, so that the two cannot drift apart. */
export const KERNEL_CHUNK_BYTES = 1 << 20;
const CHUNK_AT = 1024;
/** Per duplicate: its row and the first row (f64 each). */
const DUP_BYTES = 16;
const MAX_DUPS = 4096;
// 64 bytes past the chunk: a 16-byte load at its last bytes stays in memory that is not the chunk's.
const DUP_LIST_AT = CHUNK_AT + KERNEL_CHUNK_BYTES + 64;
/**
 * Accepted rows whose ids wait to be looked up, PENDING_BYTES each: record, packed length, hash,
 * (unused), row (f64). One lookup at a time waited for its cache miss on the table before the next
 * row was scanned; looked up in batches, after a pass that only touches their slots, the misses
 * overlap.
 */
const PENDING_AT = DUP_LIST_AT + MAX_DUPS * DUP_BYTES;
const PENDING_BYTES = 24;
const MAX_PENDING = 32;
const SINK_AT = 548;
const FIXED_PAGES = Math.ceil((PENDING_AT + MAX_PENDING * PENDING_BYTES) / 65536);
/** A record: first row (f64), packed length (i32), then the id's bytes. */
const RECORD_HEADER = 12;
/** Slack past the end of an arena segment: 16-byte stores and 4-byte compares run over an id's end. */
const ARENA_SLACK = 32;
/** The longest id the kernel decodes; a longer one is left to scanPlainRowBytes. */
const MAX_KERNEL_ID = 256;
/** The arena room the kernel wants before it decodes an id. */
const KERNEL_ROOM = RECORD_HEADER + MAX_KERNEL_ID + ARENA_SLACK;
/** The longest value (as written) the kernel accepts, so that no decoded length needs counting. */
const MAX_KERNEL_VALUE = 256;
const ARENA_SEGMENT = 4 << 20;
/** The operating system's page (4 KiB on the platforms Node runs on; a smaller guess only costs writes). */
const PAGE_BYTES = 4096;
const FIRST_SLOTS = 1 << 12;

// ---- A minimal WebAssembly assembler: just what the kernel below needs. ----

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const section = (id: number, bytes: number[]) => [id, ...uleb(bytes.length), ...bytes];
const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const name = (text: string) => [...uleb(text.length), ...Array.from(text, (ch) => ch.charCodeAt(0))];
const I32 = 0x7f;
const V128 = 0x7b;

/** Emits a function body; branches name their target and the nesting depth is worked out here. */
class FunctionBody {
  readonly bytes: number[] = [];
  private readonly labels: string[] = [];

  get(local: number): this { return this.op(0x20, local); }
  set(local: number): this { return this.op(0x21, local); }
  const(value: number): this { return this.op(0x41, ...sleb(value | 0)); }
  load(offset = 0): this { return this.op(0x28, 2, ...uleb(offset)); }
  load8(offset = 0): this { return this.op(0x2d, 0, ...uleb(offset)); }
  store(offset = 0): this { return this.op(0x36, 2, ...uleb(offset)); }
  store8(offset = 0): this { return this.op(0x3a, 0, ...uleb(offset)); }
  add(): this { return this.op(0x6a); }
  sub(): this { return this.op(0x6b); }
  mul(): this { return this.op(0x6c); }
  and(): this { return this.op(0x71); }
  or(): this { return this.op(0x72); }
  xor(): this { return this.op(0x73); }
  shl(): this { return this.op(0x74); }
  shrU(): this { return this.op(0x76); }
  rotl(): this { return this.op(0x77); }
  ctz(): this { return this.op(0x68); }
  popcnt(): this { return this.op(0x69); }
  /** Of the three values on the stack, the first when the third is not zero, else the second. */
  select(): this { return this.op(0x1b); }
  eqz(): this { return this.op(0x45); }
  eq(): this { return this.op(0x46); }
  ne(): this { return this.op(0x47); }
  ltU(): this { return this.op(0x49); }
  gtU(): this { return this.op(0x4b); }
  geU(): this { return this.op(0x4f); }
  // f64, for rows (line * 2^21 + id end, as IdIndex keeps them).
  constF(value: number): this {
    const bytes = new Uint8Array(new Float64Array([value]).buffer);
    return this.op(0x44, ...bytes);
  }
  loadF(offset = 0): this { return this.op(0x2b, 3, ...uleb(offset)); }
  storeF(offset = 0): this { return this.op(0x39, 3, ...uleb(offset)); }
  addF(): this { return this.op(0xa0); }
  mulF(): this { return this.op(0xa2); }
  geF(): this { return this.op(0x66); }
  fromU32(): this { return this.op(0xb8); }
  call(index: number): this { return this.op(0x10, ...uleb(index)); }
  ret(): this { return this.op(0x0f); }
  // 128-bit SIMD, sixteen bytes at a time.
  getV(local: number): this { return this.op(0x20, local); }
  setV(local: number): this { return this.op(0x21, local); }
  v128Load(offset = 0): this { return this.op(0xfd, 0x00, 0, ...uleb(offset)); }
  v128Store(offset = 0): this { return this.op(0xfd, 0x0b, 0, ...uleb(offset)); }
  /** Sixteen copies of the byte `value`. */
  splat(value: number): this { return this.const(value).op(0xfd, 0x0f); }
  /** Sixteen copies of the low byte of the i32 on the stack. */
  splatTop(): this { return this.op(0xfd, 0x0f); }
  i8Eq(): this { return this.op(0xfd, 0x23); }
  /** Lanes compared as signed bytes: every byte from 0x80 up is below 0. */
  i8LtS(): this { return this.op(0xfd, 0x25); }
  i8LtU(): this { return this.op(0xfd, 0x26); }
  i8GtU(): this { return this.op(0xfd, 0x28); }
  i8LeU(): this { return this.op(0xfd, 0x2a); }
  i8GeU(): this { return this.op(0xfd, 0x2c); }
  vAnd(): this { return this.op(0xfd, 0x4e); }
  vOr(): this { return this.op(0xfd, 0x50); }
  /** One bit per byte lane: its top bit, i.e. whether a comparison held there. */
  bitmask(): this { return this.op(0xfd, 0x64); }

  block(label: string, body: () => void): this { return this.nest(0x02, label, body); }
  loop(label: string, body: () => void): this { return this.nest(0x03, label, body); }
  /** Runs `then` when the value on the stack is not zero. */
  if(then: () => void): this { return this.nest(0x04, '', then); }
  br(label: string): this { return this.op(0x0c, this.depth(label)); }
  brIf(label: string): this { return this.op(0x0d, this.depth(label)); }

  private op(...bytes: number[]): this {
    for (const b of bytes) this.bytes.push(b);
    return this;
  }

  private nest(opcode: number, label: string, body: () => void): this {
    this.op(opcode, 0x40);
    this.labels.push(label);
    body();
    this.labels.pop();
    return this.op(0x0b);
  }

  private depth(label: string): number {
    const at = this.labels.lastIndexOf(label);
    if (at === -1) throw new Error(`no enclosing ${label}`);
    return this.labels.length - 1 - at;
  }
}

// The module's functions, by index.
const HASH_FN = 0;
const INSERT_FN = 1;
const ADD_FN = 2;
const FLUSH_FN = 3;
const SCAN_FN = 4;
const F64 = 0x7c;

/**
 * hash(at, n, packed) -> the hash of the n bytes at `at` (see hashStep in idIndex.ts: the same
 * function, four bytes a step, the last word zero-padded, the packed length mixed in at the end).
 */
function hashBody(): number[] {
  const [AT, N, PACKED, H, I, W, K] = [0, 1, 2, 3, 4, 5, 6];
  const f = new FunctionBody();
  const step = () => {
    f.get(W).const(0xcc9e2d51).mul().const(15).rotl().const(0x1b873593).mul().set(K);
    f.get(H).get(K).xor().const(13).rotl().const(5).mul().const(0xe6546b64).add().set(H);
  };
  f.const(HASH_SEED).set(H);
  f.block('words', () => {
    f.loop('word', () => {
      f.get(I).const(4).add().get(N).gtU().brIf('words');
      f.get(AT).get(I).add().load().set(W);
      step();
      f.get(I).const(4).add().set(I);
      f.br('word');
    });
  });
  f.get(N).const(3).and().if(() => {
    f.get(AT).get(I).add().load().const(1).get(N).const(3).and().const(3).shl().shl().const(1).sub().and().set(W);
    step();
  });
  f.get(H).get(PACKED).xor().set(H);
  f.get(H).get(H).const(16).shrU().xor().const(0x85ebca6b).mul().set(H);
  f.get(H).get(H).const(13).shrU().xor().const(0xc2b2ae35).mul().set(H);
  f.get(H).get(H).const(16).shrU().xor();
  return [...vector([[4, I32]]), ...f.bytes, 0x0b];
}

/**
 * insert(at, packed, hash, row) -> the first row of the id in the record at `at` (its bytes
 * written after the header), or -1 when the id is new: then the record (`row`, `packed`) joins
 * the table. The caller keeps the arena's next record past it.
 */
function insertBody(): number[] {
  const [AT, PACKED, H, ROW, N, SLOT, REC, I, D] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const f = new FunctionBody();
  f.get(PACKED).const(1).shrU().get(PACKED).const(1).and().shl().set(N);
  f.get(H).set(SLOT);
  f.loop('probe', () => {
    f.const(0).load(MASK_AT).get(SLOT).and().const(3).shl().const(0).load(TABLE_AT).add().set(SLOT);
    f.get(SLOT).load(4).set(REC);
    f.get(REC).eqz().if(() => {
      f.get(SLOT).get(H).store(0);
      f.get(SLOT).get(AT).store(4);
      f.get(AT).get(ROW).storeF(0);
      f.get(AT).get(PACKED).store(8);
      f.const(0).const(0).load(ENTRIES_AT).const(1).add().store(ENTRIES_AT);
      f.constF(-1).ret();
    });
    f.block('differs', () => {
      f.get(SLOT).load(0).get(H).ne().brIf('differs');
      f.get(REC).load(8).get(PACKED).ne().brIf('differs');
      // Four bytes at a time; the last word's bytes past the id are masked off.
      f.const(0).set(I);
      f.loop('compare', () => {
        f.get(I).get(N).geU().if(() => {
          f.get(REC).loadF(0).ret();
        });
        f.get(REC).get(I).add().load(RECORD_HEADER).get(AT).get(I).add().load(RECORD_HEADER).xor().set(D);
        f.get(N).get(I).sub().const(4).ltU().if(() => {
          f.get(D).const(1).get(N).get(I).sub().const(3).shl().shl().const(1).sub().and().set(D);
        });
        f.get(D).brIf('differs');
        f.get(I).const(4).add().set(I);
        f.br('compare');
      });
    });
    // Slots are 8 bytes: the next one's index, from its address.
    f.get(SLOT).const(0).load(TABLE_AT).sub().const(3).shrU().const(1).add().set(SLOT);
    f.br('probe');
  });
  f.constF(-1);
  return [...vector([[5, I32]]), ...f.bytes, 0x0b];
}

/** add(at, packed, row): insert for a record JavaScript wrote at the arena's next record, hashed here. */
function addBody(): number[] {
  const [AT, PACKED, ROW, N, FIRST] = [0, 1, 2, 3, 4];
  const f = new FunctionBody();
  f.get(PACKED).const(1).shrU().get(PACKED).const(1).and().shl().set(N);
  f.get(AT).get(PACKED).get(AT).const(RECORD_HEADER).add().get(N).get(PACKED).call(HASH_FN).get(ROW).call(INSERT_FN).set(FIRST);
  f.get(FIRST).constF(0).geF().if(() => {
    f.get(FIRST).ret();
  });
  f.const(0).get(AT).const(RECORD_HEADER).add().get(N).add().store(ARENA_USED_AT);
  f.get(FIRST);
  return [...vector([[1, I32], [1, F64]]), ...f.bytes, 0x0b];
}

/**
 * flush(pending, dups) -> dups: looks up the `pending` ids in order (see PENDING_AT), listing
 * each one an earlier row has after the `dups` already listed.
 */
function flushBody(): number[] {
  const [P, DUPS, I, E, X, FIRST] = [0, 1, 2, 3, 4, 5];
  const f = new FunctionBody();
  // Touches each slot first: these loads depend on nothing, so their misses overlap.
  f.block('touched', () => {
    f.loop('touch', () => {
      f.get(I).get(P).geU().brIf('touched');
      f.get(I).const(PENDING_BYTES).mul().const(PENDING_AT).add().set(E);
      f.get(X).get(E).load(8).const(0).load(MASK_AT).and().const(3).shl().const(0).load(TABLE_AT).add().load(4).xor().set(X);
      f.get(I).const(1).add().set(I);
      f.br('touch');
    });
  });
  // Kept, so that the touching loads are not left out as unused.
  f.const(0).get(X).store(SINK_AT);
  f.const(0).set(I);
  f.block('looked', () => {
    f.loop('look', () => {
      f.get(I).get(P).geU().brIf('looked');
      f.get(I).const(PENDING_BYTES).mul().const(PENDING_AT).add().set(E);
      f.get(E).load(0).get(E).load(4).get(E).load(8).get(E).loadF(16).call(INSERT_FN).set(FIRST);
      f.get(FIRST).constF(0).geF().if(() => {
        f.get(DUPS).const(DUP_BYTES).mul().const(DUP_LIST_AT).add().set(X);
        f.get(X).get(E).loadF(16).storeF(0);
        f.get(X).get(FIRST).storeF(8);
        f.get(DUPS).const(1).add().set(DUPS);
      });
      f.get(I).const(1).add().set(I);
      f.br('look');
    });
  });
  f.get(DUPS);
  return [...vector([[3, I32], [1, F64]]), ...f.bytes, 0x0b];
}

// Parameters and locals of scan(), by index.
const POS = 0;
const END = 1;
const COLUMNS = 2;
const THIRD_PARTY = 3;
const MAX_ID = 4;
const ROW_BUDGET = 5;
const ROWS_LEFT = 6;
const BYTES_LEFT = 7;
const FIRST_LINE = 8;
const SCAN_PARAMS = 9;
const ROW_START = 9;
const C = 10;
const K = 11;
const HI = 12;
const COMMAS = 13;
const FIELD_START = 14;
const CARRY = 15;
const LF_MASK = 16;
const BAD_MASK = 17;
const NEED = 18;
const UPTO = 19;
const ID_END = 20;
const COUNT = 21;
const BYTES = 22;
const DUPS = 23;
const AT = 24;
const OUT = 25;
const ROW_BYTES = 26;
const PEND = 27;
const I32_LOCALS = 28 - SCAN_PARAMS;
const V = 28;
const V_LOWER = 29;
const V_SLASH = 30;
const V128_LOCALS = 3;

/**
 * scan(pos, end, columns, thirdParty, maxId, rowBudget, rowsLeft, bytesLeft, firstLine) -> first
 * row not accepted. Accepts rows from `pos` while they are clean and complete (LF before `end`),
 * recording each id (rows are numbered from line `firstLine`) and each duplicate; stops at the
 * first other row, when the table may reach its limit, the arena short of room or the duplicate list
 * full, and before a row that would not fit in `rowsLeft` rows and under `bytesLeft` bytes (the
 * upload being planned). Writes the rows, their bytes and the duplicates to the state words.
 * `rowBudget` is the most bytes a row may have for its decoded data plus the header's names to
 * stay within the 64 KB limit for certain.
 */
function scanBody(): number[] {
  const f = new FunctionBody();
  // The two hex digits after the % at `pos` are at pos+1 and pos+2, inside the chunk: leaves
  // their value (or a value over 255 when either is not a hex digit) in HI.
  const escapedByte = () => {
    f.get(POS).const(2).add().get(END).geU().brIf('done');
    f.get(POS).load8(1).load8(HEX_AT).const(4).shl();
    f.get(POS).load8(2).load8(HEX_AT).or().set(HI);
    // A non-hex digit is 255 in the table, so either one sets a bit at or above 0xf0.
    f.get(POS).load8(1).load8(HEX_AT).get(POS).load8(2).load8(HEX_AT).or().const(15).gtU().brIf('done');
  };
  // The lanes of V under 0x21 or over 0x7e (controls, space, DEL, non-ASCII): as signed bytes,
  // those from 0x80 up are negative, so one signed compare and DEL take the place of two unsigned
  // compares, which x64 has no instruction for (each was four).
  const notPrintable = () => {
    f.getV(V).splat(0x21).i8LtS().getV(V).splat(0x7f).i8Eq().vOr();
  };
  // A thirdPartyId may not hold a / (TP012): compared against it, or against 0, which is
  // rejected anyway, for a pcId.
  f.const(47).const(0).get(THIRD_PARTY).select().splatTop().setV(V_SLASH);
  f.const(0).load(ARENA_USED_AT).set(AT);
  f.block('done', () => {
    f.loop('row', () => {
      f.get(POS).set(ROW_START);
      f.get(COUNT).get(ROWS_LEFT).geU().brIf('done');
      // Each pending id may be a new entry or a duplicate.
      f.get(DUPS).get(PEND).add().const(MAX_DUPS).geU().brIf('done');
      f.const(0).load(ENTRIES_AT).get(PEND).add().const(0).load(LIMIT_AT).geU().brIf('done');
      f.get(AT).const(KERNEL_ROOM).add().const(0).load(ARENA_END_AT).gtU().brIf('done');
      // The id, decoded into the arena as the next record's bytes, 16 bytes at a time: the
      // bytes up to the first that is not plain are copied in one store, then that byte is the
      // comma or LF that ends the id, a % escape (decoded here), or a reason to stop.
      f.get(AT).const(RECORD_HEADER).add().set(OUT);
      f.block('idEnd', () => {
        f.loop('id', () => {
          f.get(POS).get(END).geU().brIf('done');
          f.get(POS).v128Load().setV(V);
          notPrintable();
          f.getV(V).splat(38).i8Eq().getV(V).splat(43).i8Eq().vOr().getV(V).splat(34).i8Eq().vOr().vOr();
          f.getV(V).splat(37).i8Eq().getV(V).splat(44).i8Eq().vOr().getV(V).getV(V_SLASH).i8Eq().vOr().vOr();
          f.bitmask().const(0x10000).or().ctz().set(K);
          f.get(OUT).getV(V).v128Store();
          f.get(OUT).get(K).add().set(OUT);
          f.get(POS).get(K).add().set(POS);
          f.get(OUT).get(AT).sub().const(RECORD_HEADER).sub().get(MAX_ID).gtU().brIf('done');
          f.get(K).const(16).eq().brIf('id');
          f.get(POS).get(END).geU().brIf('done');
          f.get(POS).load8().set(C);
          f.get(C).const(44).eq().get(C).const(10).eq().or().brIf('idEnd');
          f.get(C).const(37).ne().brIf('done');
          escapedByte();
          // Only escapes of ASCII: anything else needs UTF-8 decoding, and a thirdPartyId may not
          // hold an encoded + or /.
          f.get(HI).const(0x80).geU().brIf('done');
          f.get(HI).const(0x2b).eq().get(HI).const(0x2f).eq().or().get(THIRD_PARTY).and().brIf('done');
          f.get(OUT).get(HI).store8();
          f.get(OUT).const(1).add().set(OUT);
          f.get(POS).const(3).add().set(POS);
          f.get(OUT).get(AT).sub().const(RECORD_HEADER).sub().get(MAX_ID).gtU().brIf('done');
          f.br('id');
        });
      });
      f.get(OUT).get(AT).const(RECORD_HEADER).add().eq().brIf('done');
      f.get(POS).get(ROW_START).sub().set(ID_END);
      // The values, 16 bytes at a time: the row ends at the first LF; before it no byte may be
      // one that needs reporting (control, space, non-ASCII, & + "), every % must be followed by
      // two hex digits (NEED marks the bytes that must be, carried over to the next block), and
      // the commas are counted. FIELD_START is the comma or LF that ended the id.
      f.get(POS).set(FIELD_START);
      f.const(0).set(COMMAS);
      f.const(0).set(CARRY);
      f.block('rowEnd', () => {
        f.loop('block', () => {
          f.get(POS).get(END).geU().brIf('done');
          f.get(POS).v128Load().setV(V);
          f.getV(V).splat(10).i8Eq().bitmask().set(LF_MASK);
          notPrintable();
          f.getV(V).splat(38).i8Eq().getV(V).splat(43).i8Eq().vOr().getV(V).splat(34).i8Eq().vOr().vOr().bitmask().set(BAD_MASK);
          f.getV(V).splat(37).i8Eq().bitmask().set(NEED);
          f.get(NEED).const(1).shl().get(NEED).const(2).shl().or().get(CARRY).or().set(NEED);
          f.get(NEED).const(16).shrU().set(CARRY);
          // Most blocks have no escape in them: the hex digits are only looked for when one does
          // (NEED stays 0 otherwise, as it would after the test).
          f.get(NEED).if(() => {
            // With bit 0x20 set, A-F become a-f and digits stay digits.
            f.getV(V).splat(0x20).vOr().setV(V_LOWER);
            f.getV(V_LOWER).splat(48).i8GeU().getV(V_LOWER).splat(57).i8LeU().vAnd();
            f.getV(V_LOWER).splat(97).i8GeU().getV(V_LOWER).splat(102).i8LeU().vAnd().vOr().bitmask();
            f.const(-1).xor().get(NEED).and().const(0xffff).and().set(NEED);
          });
          f.get(LF_MASK).if(() => {
            // Only the bytes before the LF (and the LF, for a % just before it) are the row's.
            f.get(LF_MASK).const(0).get(LF_MASK).sub().and().set(UPTO);
            f.get(BAD_MASK).get(UPTO).const(1).sub().and().brIf('done');
            f.get(NEED).get(UPTO).const(1).sub().get(UPTO).or().and().brIf('done');
            f.getV(V).splat(44).i8Eq().bitmask().get(UPTO).const(1).sub().and().popcnt().get(COMMAS).add().set(COMMAS);
            f.get(POS).get(LF_MASK).ctz().add().set(POS);
            f.get(POS).get(END).geU().brIf('done');
            f.br('rowEnd');
          });
          f.get(BAD_MASK).get(NEED).or().brIf('done');
          f.getV(V).splat(44).i8Eq().bitmask().popcnt().get(COMMAS).add().set(COMMAS);
          f.get(POS).const(16).add().set(POS);
          f.br('block');
        });
      });
      // No more fields than the header has, and at least one value that is not empty.
      f.get(COMMAS).get(COLUMNS).geU().brIf('done');
      f.get(POS).get(FIELD_START).sub().get(COMMAS).eq().brIf('done');
      // Only a row this long can have a value over the limit: measure each one then.
      f.get(POS).get(FIELD_START).sub().const(MAX_KERNEL_VALUE + 1).gtU().if(() => {
        f.get(FIELD_START).set(C);
        f.const(0).set(K);
        f.block('measured', () => {
          f.loop('measure', () => {
            f.get(C).const(1).add().set(C);
            f.get(C).get(POS).geU().brIf('measured');
            f.const(0).get(K).const(1).add().get(C).load8().const(44).eq().select().set(K);
            f.get(K).const(MAX_KERNEL_VALUE).gtU().brIf('done');
            f.br('measure');
          });
        });
      });
      f.get(POS).get(ROW_START).sub().get(ROW_BUDGET).gtU().brIf('done');
      f.get(POS).get(ROW_START).sub().const(1).add().set(ROW_BYTES);
      f.get(BYTES).get(ROW_BYTES).add().get(BYTES_LEFT).geU().brIf('done');
      // Accepted: its id (row = line * 2^21 + id end) waits to be looked up with the next ones.
      f.get(PEND).const(PENDING_BYTES).mul().const(PENDING_AT).add().set(C);
      f.get(OUT).get(AT).sub().const(RECORD_HEADER).sub().const(1).shl().set(K);
      f.get(C).get(AT).store(0);
      f.get(C).get(K).store(4);
      f.get(C).get(AT).const(RECORD_HEADER).add().get(K).const(1).shrU().get(K).call(HASH_FN).store(8);
      f.get(C).get(FIRST_LINE).get(COUNT).fromU32().addF().constF(2097152).mulF().get(ID_END).fromU32().addF().storeF(16);
      f.get(OUT).set(AT);
      f.get(PEND).const(1).add().set(PEND);
      f.get(PEND).const(MAX_PENDING).eq().if(() => {
        f.get(PEND).get(DUPS).call(FLUSH_FN).set(DUPS);
        f.const(0).set(PEND);
      });
      f.get(COUNT).const(1).add().set(COUNT);
      f.get(BYTES).get(ROW_BYTES).add().set(BYTES);
      f.get(POS).const(1).add().set(POS);
      f.br('row');
    });
  });
  f.get(PEND).get(DUPS).call(FLUSH_FN).set(DUPS);
  f.const(0).get(AT).store(ARENA_USED_AT);
  f.const(0).get(COUNT).store(ROWS_AT);
  f.const(0).get(BYTES).store(BYTES_AT);
  f.const(0).get(DUPS).store(DUPS_AT);
  f.get(ROW_START);
  return [...vector([[...uleb(I32_LOCALS), I32], [...uleb(V128_LOCALS), V128]]), ...f.bytes, 0x0b];
}

function kernelModule(): Uint8Array {
  const types = [
    [0x60, 3, I32, I32, I32, 1, I32],
    [0x60, 4, I32, I32, I32, F64, 1, F64],
    [0x60, 3, I32, I32, F64, 1, F64],
    [0x60, 2, I32, I32, 1, I32],
    [0x60, ...uleb(SCAN_PARAMS), ...new Array<number>(SCAN_PARAMS - 1).fill(I32), F64, 1, I32],
  ];
  const bodies = [hashBody(), insertBody(), addBody(), flushBody(), scanBody()];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(3, vector([[HASH_FN], [INSERT_FN], [ADD_FN], [FLUSH_FN], [SCAN_FN]])),
    ...section(5, vector([[0, ...uleb(FIXED_PAGES)]])),
    ...section(7, vector([[...name('memory'), 2, 0], [...name('hash'), 0, HASH_FN], [...name('add'), 0, ADD_FN], [...name('scan'), 0, SCAN_FN]])),
    ...section(10, vector(bodies.map((body) => [...uleb(body.length), ...body]))),
  ]);
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
};

interface KernelExports {
  memory: WasmMemory;
  hash(at: number, n: number, packed: number): number;
  add(at: number, packed: number, row: number): number;
  scan(pos: number, end: number, columns: number, thirdParty: number, maxId: number, rowBudget: number, rowsLeft: number, bytesLeft: number, firstLine: number): number;
}

/** Compiled on first use; null once compiling failed, so that it is not tried again. */
let compiled: WasmModule | null | undefined;

/**
 * The kernel of one validation over its own memory, or undefined where WebAssembly is missing;
 * also the validation's id set (see the file comment). Growing the memory replaces its buffer, so
 * `chunk` and the other views are taken anew after any call that may grow it (scan, addKey,
 * expect): the caller checks `chunk`.
 */
export class RowKernel extends KeyBuffer implements IdSet {
  /** The chunk the caller reads the file into (KERNEL_CHUNK_BYTES). */
  chunk!: Buffer;
  /** Rows the last scan accepted, and their bytes with their LFs. */
  count = 0;
  bytes = 0;
  /** Whether scan still runs: false once the memory could not grow and the ids moved to `fallback`. */
  usable = true;
  private fallback: IdIndex | undefined;
  private memory!: Uint8Array;
  private words!: Int32Array;
  private view!: DataView;
  private readonly exports: KernelExports;

  private constructor(
    instance: { readonly exports: unknown },
    /** The most bytes the memory may grow to; lower than WebAssembly's 4 GiB only in tests. */
    private readonly maxBytes: number,
  ) {
    super();
    this.exports = instance.exports as KernelExports;
    this.refresh();
  }

  /**
   * A kernel with `byteClass` (see scan.ts; 1 plain, 2 comma, 3 %, 4 LF) and `hex` (-1 for no
   * digit). `maxBytes` is for tests of a memory that cannot grow.
   */
  static create(byteClass: Uint8Array, hex: Int8Array, maxBytes = 2 ** 32): RowKernel | undefined {
    try {
      if (compiled === undefined) compiled = new WebAssembly.Module(kernelModule());
      if (compiled === null) return undefined;
      const kernel = new RowKernel(new WebAssembly.Instance(compiled, {}), maxBytes);
      for (let c = 0; c < 256; c++) {
        // A space is plain in a field but not at its edges; the kernel leaves such rows to the
        // JavaScript scanner rather than track edges.
        kernel.memory[CLASS_AT + c] = c === 32 ? 0 : byteClass[c];
        kernel.memory[HEX_AT + c] = hex[c] < 0 ? 255 : hex[c];
      }
      kernel.newTable(FIRST_SLOTS);
      kernel.newSegment(0);
      return kernel;
    } catch {
      compiled = null;
      return undefined;
    }
  }

  get size(): number {
    return this.fallback ? this.fallback.size : this.words[ENTRIES_AT / 4];
  }

  /**
   * Accepts the clean rows of the chunk from `pos` (see the file comment) up to `end`, the first
   * of them on line `firstLine`, at most `rowsLeft` of them and under `bytesLeft` bytes in all;
   * sets `count` and `bytes`, calls `duplicate` for each row whose id an earlier row has (with
   * its line, its id end and the earlier row), in order, and returns where the first row it
   * did not accept starts.
   */
  scan(
    pos: number, end: number, columns: number, thirdParty: boolean, maxId: number, rowBudget: number,
    rowsLeft: number, bytesLeft: number, firstLine: number,
    duplicate: (line: number, idEnd: number, first: number) => void,
  ): number {
    this.count = 0;
    this.bytes = 0;
    if (!this.makeRoom(KERNEL_ROOM)) return pos;
    const limit = (n: number) => Math.max(0, Math.min(n, 0x7fffffff));
    const next = this.exports.scan(
      CHUNK_AT + pos, CHUNK_AT + end, columns, thirdParty ? 1 : 0, Math.min(maxId, MAX_KERNEL_ID), limit(rowBudget),
      limit(rowsLeft), limit(bytesLeft), firstLine,
    ) - CHUNK_AT;
    const words = this.words;
    this.count = words[ROWS_AT / 4];
    this.bytes = words[BYTES_AT / 4];
    const dups = words[DUPS_AT / 4];
    for (let d = 0; d < dups; d++) {
      const at = DUP_LIST_AT + d * DUP_BYTES;
      const row = this.view.getFloat64(at, true);
      duplicate(Math.floor(row / 2097152), row % 2097152, this.view.getFloat64(at + 8, true));
    }
    return next;
  }

  addKey(row: number): number {
    const fallback = this.fallback;
    if (fallback === undefined) {
      const n = this.keyLength;
      const wide = this.keyIsWide();
      const bytes = wide ? 2 * n : n;
      if (this.makeRoom(RECORD_HEADER + bytes)) {
        const at = this.words[ARENA_USED_AT / 4];
        const memory = this.memory;
        const key = this.key;
        const to = at + RECORD_HEADER;
        if (!wide) {
          for (let i = 0; i < n; i++) memory[to + i] = key[i];
        } else {
          for (let i = 0; i < n; i++) {
            memory[to + 2 * i] = key[i] & 0xff;
            memory[to + 2 * i + 1] = key[i] >>> 8;
          }
        }
        return this.exports.add(at, n * 2 + (wide ? 1 : 0), row);
      }
    }
    const index = this.fallback!;
    index.key = this.key;
    index.keyLength = this.keyLength;
    return index.addKey(row);
  }

  expect(entries: number): void {
    if (this.fallback) return this.fallback.expect(entries);
    let slots = this.words[MASK_AT / 4] + 1;
    while (entries * 2 > slots) slots *= 2;
    try {
      if (slots > this.words[MASK_AT / 4] + 1) this.rebuild(slots);
    } catch {
      // Only a hint: the table grows as it fills, or the ids move to an IdIndex then.
    }
  }

  /** The kernel's hash of `n` bytes of the chunk from `pos`, for the tests. */
  hashChunk(pos: number, n: number, packed: number): number {
    return this.exports.hash(CHUNK_AT + pos, n, packed);
  }

  /**
   * Whether the table can take one more id and the arena has `bytes` of room for its record;
   * makes both when needed. False (and the ids moved to an IdIndex for good) when the memory
   * cannot grow.
   */
  private makeRoom(bytes: number): boolean {
    if (this.fallback) return false;
    const words = this.words;
    if (words[ENTRIES_AT / 4] < words[LIMIT_AT / 4] && words[ARENA_USED_AT / 4] + bytes <= words[ARENA_END_AT / 4]) return true;
    try {
      if (words[ENTRIES_AT / 4] >= words[LIMIT_AT / 4]) this.rebuild(2 * (words[MASK_AT / 4] + 1));
      if (this.words[ARENA_USED_AT / 4] + bytes > this.words[ARENA_END_AT / 4]) this.newSegment(bytes);
      return true;
    } catch {
      this.moveToIndex();
      return false;
    }
  }

  /** `bytes` more memory, from its current end; throws a RangeError when it cannot grow. */
  private allocate(bytes: number): number {
    const at = this.exports.memory.buffer.byteLength;
    const pages = Math.ceil(bytes / 65536);
    if (at + pages * 65536 > this.maxBytes) throw new RangeError('the kernel memory is full');
    this.exports.memory.grow(pages);
    this.refresh();
    return at;
  }

  private newSegment(bytes: number): void {
    const size = Math.max(ARENA_SEGMENT, bytes + RECORD_HEADER + ARENA_SLACK);
    const at = this.allocate(size);
    this.words[ARENA_USED_AT / 4] = at;
    this.words[ARENA_END_AT / 4] = at + size - ARENA_SLACK;
  }

  private newTable(slots: number): void {
    const at = this.allocate(slots * 8);
    // Fresh memory is mapped on first touch, and the table's first touch is a read (a probe), so
    // each of its pages was faulted twice: once to the shared zero page, once more when a slot
    // was written. A write to each page first leaves one fault a page (for the 500,000-row bench
    // file's 2^20-slot table, 11,100 faults a validation became 8,900).
    const words = this.words;
    for (let w = at / 4, end = (at + slots * 8) / 4; w < end; w += PAGE_BYTES / 4) words[w] = 0;
    this.words[TABLE_AT / 4] = at;
    this.words[MASK_AT / 4] = slots - 1;
    this.words[LIMIT_AT / 4] = slots / 2;
  }

  /** Moves the table's slots to a new one of `slots` (a power of two); the old one is left unused. */
  private rebuild(slots: number): void {
    const oldAt = this.words[TABLE_AT / 4] / 4;
    const oldSlots = this.words[MASK_AT / 4] + 1;
    this.newTable(slots);
    const words = this.words;
    const at = words[TABLE_AT / 4] / 4;
    const mask = slots - 1;
    for (let s = 0; s < oldSlots; s++) {
      const record = words[oldAt + 2 * s + 1];
      if (record === 0) continue;
      const h = words[oldAt + 2 * s];
      let slot = h & mask;
      while (words[at + 2 * slot + 1] !== 0) slot = (slot + 1) & mask;
      words[at + 2 * slot] = h;
      words[at + 2 * slot + 1] = record;
    }
  }

  /** Copies every id to an IdIndex, which takes the ids from here on, and stops the kernel. */
  private moveToIndex(): void {
    const index = new IdIndex();
    const words = this.words;
    const memory = this.memory;
    const table = words[TABLE_AT / 4] / 4;
    const slots = words[MASK_AT / 4] + 1;
    index.expect(words[ENTRIES_AT / 4]);
    for (let s = 0; s < slots; s++) {
      const record = words[table + 2 * s + 1];
      if (record === 0) continue;
      const packed = this.view.getInt32(record + 8, true);
      const n = packed >>> 1;
      const key = index.reserve(n);
      const from = record + RECORD_HEADER;
      for (let i = 0; i < n; i++) key[i] = packed & 1 ? memory[from + 2 * i] | (memory[from + 2 * i + 1] << 8) : memory[from + i];
      index.keyLength = n;
      index.addKey(this.view.getFloat64(record, true));
    }
    this.fallback = index;
    this.usable = false;
  }

  private refresh(): void {
    const buffer = this.exports.memory.buffer;
    this.memory = new Uint8Array(buffer);
    this.words = new Int32Array(buffer);
    this.view = new DataView(buffer);
    this.chunk = Buffer.from(buffer, CHUNK_AT, KERNEL_CHUNK_BYTES);
  }
}
