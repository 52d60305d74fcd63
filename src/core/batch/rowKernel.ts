import { HASH_PRIME, HASH_SEED } from './idIndex';

/**
 * A WebAssembly loop for the clean rows of a batch file read from disk.
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
 * Memory layout (one instance per validation, so concurrent validations never share it):
 * the byte classes, the hex values, a few result words, then the chunk the file is read into,
 * the records of accepted rows and the decoded ids of those rows.
 */

const CLASS_AT = 0;
const HEX_AT = 256;
const RESULT_AT = 512;
/** Where the file is read to; also the chunk size, so that the two cannot drift apart. */
export const KERNEL_CHUNK_BYTES = 1 << 20;
const CHUNK_AT = 1024;
/** Per accepted row: LF index in the chunk, id end, id hash, id length (4 x i32). */
const RECORD_WORDS = 4;
const MAX_RECORDS = 1 << 14;
const RECORDS_AT = 1 << 21;
const KEYS_AT = RECORDS_AT + MAX_RECORDS * RECORD_WORDS * 4;
const KEYS_BYTES = 1 << 19;
/** The longest id the kernel decodes; a longer one is left to scanPlainRowBytes. */
const MAX_KERNEL_ID = 256;
/** The longest value (as written) the kernel accepts, so that no decoded length needs counting. */
const MAX_KERNEL_VALUE = 256;
const MEMORY_PAGES = Math.ceil((KEYS_AT + KEYS_BYTES) / 65536);

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
  ctz(): this { return this.op(0x68); }
  popcnt(): this { return this.op(0x69); }
  /** Of the three values on the stack, the first when the third is not zero, else the second. */
  select(): this { return this.op(0x1b); }
  // 128-bit SIMD, sixteen bytes at a time.
  getV(local: number): this { return this.op(0x20, local); }
  setV(local: number): this { return this.op(0x21, local); }
  v128Load(offset = 0): this { return this.op(0xfd, 0x00, 0, ...uleb(offset)); }
  /** Sixteen copies of the byte `value`. */
  splat(value: number): this { return this.const(value).op(0xfd, 0x0f); }
  i8Eq(): this { return this.op(0xfd, 0x23); }
  i8LtU(): this { return this.op(0xfd, 0x26); }
  i8GtU(): this { return this.op(0xfd, 0x28); }
  i8LeU(): this { return this.op(0xfd, 0x2a); }
  i8GeU(): this { return this.op(0xfd, 0x2c); }
  vAnd(): this { return this.op(0xfd, 0x4e); }
  vOr(): this { return this.op(0xfd, 0x50); }
  /** One bit per byte lane: its top bit, i.e. whether a comparison held there. */
  bitmask(): this { return this.op(0xfd, 0x64); }
  shrU(): this { return this.op(0x76); }
  eqz(): this { return this.op(0x45); }
  eq(): this { return this.op(0x46); }
  ne(): this { return this.op(0x47); }
  ltU(): this { return this.op(0x49); }
  gtU(): this { return this.op(0x4b); }
  geU(): this { return this.op(0x4f); }

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

// Parameters and locals of scan(), by index.
const POS = 0;
const END = 1;
const COLUMNS = 2;
const THIRD_PARTY = 3;
const MAX_ID = 4;
const ROW_BUDGET = 5;
const PARAMS = 6;
const ROW_START = 6;
const C = 7;
const K = 8;
const N = 9;
const H = 10;
const UNIT = 11;
const COMMAS = 12;
const FIELD_START = 13;
const CARRY = 14;
const RECORD = 15;
const KEY = 16;
const ID_END = 17;
const HI = 18;
const LF_MASK = 19;
const BAD_MASK = 20;
const NEED = 21;
const UPTO = 22;
const I32_LOCALS = 23 - PARAMS;
const V = 23;
const V_LOWER = 24;
const V128_LOCALS = 2;

/**
 * scan(pos, end, columns, thirdParty, maxId, rowBudget) -> first row not accepted.
 * Accepts rows from `pos` while they are clean and complete (LF before `end`), writing a record
 * and the decoded id of each; stops at the first other row, or when the record or key area is
 * full. Writes the number of records to RESULT_AT. `rowBudget` is the most bytes a row may have
 * for its decoded data plus the header's names to stay within the 64 KB limit for certain.
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
  f.const(RECORDS_AT).set(RECORD);
  f.const(KEYS_AT).set(KEY);
  f.block('done', () => {
    f.loop('row', () => {
      f.get(POS).set(ROW_START);
      f.get(RECORD).const(RECORDS_AT + MAX_RECORDS * RECORD_WORDS * 4).geU().brIf('done');
      f.get(KEY).const(KEYS_AT + KEYS_BYTES - MAX_KERNEL_ID).gtU().brIf('done');
      f.const(0).set(N);
      f.const(HASH_SEED).set(H);
      // The id: decoded into the key area and hashed as it goes (FNV-1a over its code units).
      f.block('idEnd', () => {
        f.loop('id', () => {
          f.get(POS).get(END).geU().brIf('done');
          f.get(POS).load8().set(C);
          f.get(C).load8(CLASS_AT).set(K);
          f.get(C).set(UNIT);
          f.block('unit', () => {
            f.get(K).const(1).eq().if(() => {
              // A / is plain in values, but a thirdPartyId may not hold one (TP012).
              f.get(C).const(47).eq().get(THIRD_PARTY).and().brIf('done');
              f.br('unit');
            });
            f.get(K).const(3).eq().if(() => {
              escapedByte();
              f.get(HI).set(UNIT);
              // Only escapes of ASCII: anything else needs UTF-8 decoding, and a thirdPartyId
              // may not hold an encoded + or /.
              f.get(UNIT).const(0x80).geU().brIf('done');
              f.get(UNIT).const(0x2b).eq().get(UNIT).const(0x2f).eq().or().get(THIRD_PARTY).and().brIf('done');
              f.get(POS).const(2).add().set(POS);
              f.br('unit');
            });
            f.get(K).const(2).eq().get(K).const(4).eq().or().brIf('idEnd');
            f.br('done');
          });
          f.get(N).get(MAX_ID).geU().brIf('done');
          f.get(KEY).get(N).add().get(UNIT).store8();
          f.get(N).const(1).add().set(N);
          f.get(H).get(UNIT).xor().const(HASH_PRIME).mul().set(H);
          f.get(POS).const(1).add().set(POS);
          f.br('id');
        });
      });
      f.get(N).eqz().brIf('done');
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
          f.getV(V).splat(0x21).i8LtU().getV(V).splat(0x7e).i8GtU().vOr();
          f.getV(V).splat(38).i8Eq().getV(V).splat(43).i8Eq().vOr().getV(V).splat(34).i8Eq().vOr().vOr().bitmask().set(BAD_MASK);
          f.getV(V).splat(37).i8Eq().bitmask().set(NEED);
          f.get(NEED).const(1).shl().get(NEED).const(2).shl().or().get(CARRY).or().set(NEED);
          f.get(NEED).const(16).shrU().set(CARRY);
          // With bit 0x20 set, A-F become a-f and digits stay digits.
          f.getV(V).splat(0x20).vOr().setV(V_LOWER);
          f.getV(V_LOWER).splat(48).i8GeU().getV(V_LOWER).splat(57).i8LeU().vAnd();
          f.getV(V_LOWER).splat(97).i8GeU().getV(V_LOWER).splat(102).i8LeU().vAnd().vOr().bitmask();
          f.const(-1).xor().get(NEED).and().const(0xffff).and().set(NEED);
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
      f.get(RECORD).get(POS).const(CHUNK_AT).sub().store(0);
      f.get(RECORD).get(ID_END).store(4);
      f.get(RECORD).get(H).store(8);
      f.get(RECORD).get(N).store(12);
      f.get(RECORD).const(RECORD_WORDS * 4).add().set(RECORD);
      f.get(KEY).get(N).add().set(KEY);
      f.get(POS).const(1).add().set(POS);
      f.br('row');
    });
  });
  // Records are 16 bytes: their count is the area used, shifted right by 4.
  f.const(RESULT_AT).get(RECORD).const(RECORDS_AT).sub().const(4).shrU().store();
  f.get(ROW_START);
  return f.bytes;
}

function kernelModule(): Uint8Array {
  const locals = vector([[...uleb(I32_LOCALS), I32], [...uleb(V128_LOCALS), V128]]);
  const body = [...locals, ...scanBody(), 0x0b];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([[0x60, ...uleb(PARAMS), ...new Array<number>(PARAMS).fill(I32), 1, I32]])),
    ...section(3, vector([[0]])),
    ...section(5, vector([[0, ...uleb(MEMORY_PAGES)]])),
    ...section(7, vector([[...name('memory'), 2, 0], [...name('scan'), 0, 0]])),
    ...section(10, vector([[...uleb(body.length), ...body]])),
  ]);
}

// The little of WebAssembly used here: the project's libraries (ES2022, Node, no DOM) declare none.
interface WasmModule {
  readonly kind?: 'module';
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: unknown };
};

/** Compiled on first use; null once compiling failed, so that it is not tried again. */
let compiled: WasmModule | null | undefined;

/** The kernel of one validation over its own memory, or undefined where WebAssembly is missing. */
export class RowKernel {
  /** The chunk the caller reads the file into (KERNEL_CHUNK_BYTES). */
  readonly chunk: Buffer;
  /** Accepted rows of the last scan, RECORD_WORDS numbers each: LF index, id end, id hash, id length. */
  readonly records: Int32Array;
  /** Their decoded ids, one after the other. */
  readonly keys: Uint8Array;
  /** Rows the last scan accepted. */
  count = 0;
  private readonly memory: Uint8Array;
  private readonly run: (pos: number, end: number, columns: number, thirdParty: number, maxId: number, rowBudget: number) => number;

  private constructor(instance: { readonly exports: unknown }) {
    const exports = instance.exports as { memory: WasmMemory; scan: RowKernel['run'] };
    this.memory = new Uint8Array(exports.memory.buffer);
    this.run = exports.scan;
    this.chunk = Buffer.from(exports.memory.buffer, CHUNK_AT, KERNEL_CHUNK_BYTES);
    this.records = new Int32Array(exports.memory.buffer, RECORDS_AT, MAX_RECORDS * RECORD_WORDS);
    this.keys = new Uint8Array(exports.memory.buffer, KEYS_AT, KEYS_BYTES);
  }

  /** A kernel with `byteClass` (see scan.ts; 1 plain, 2 comma, 3 %, 4 LF) and `hex` (-1 for no digit). */
  static create(byteClass: Uint8Array, hex: Int8Array): RowKernel | undefined {
    try {
      if (compiled === undefined) compiled = new WebAssembly.Module(kernelModule());
      if (compiled === null) return undefined;
      const kernel = new RowKernel(new WebAssembly.Instance(compiled, {}));
      for (let c = 0; c < 256; c++) {
        // A space is plain in a field but not at its edges; the kernel leaves such rows to the
        // JavaScript scanner rather than track edges.
        kernel.memory[CLASS_AT + c] = c === 32 ? 0 : byteClass[c];
        kernel.memory[HEX_AT + c] = hex[c] < 0 ? 255 : hex[c];
      }
      return kernel;
    } catch {
      compiled = null;
      return undefined;
    }
  }

  /**
   * Accepts the clean rows of the chunk from `pos` (see the file comment) up to `end`, sets
   * `count` and `records`, and returns where the first row it did not accept starts.
   */
  scan(pos: number, end: number, columns: number, thirdParty: boolean, maxId: number, rowBudget: number): number {
    const next = this.run(CHUNK_AT + pos, CHUNK_AT + end, columns, thirdParty ? 1 : 0, Math.min(maxId, MAX_KERNEL_ID), Math.max(0, rowBudget)) - CHUNK_AT;
    this.count = this.memory[RESULT_AT] | (this.memory[RESULT_AT + 1] << 8) | (this.memory[RESULT_AT + 2] << 16);
    return next;
  }
}
