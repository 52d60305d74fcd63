/**
 * A minimal WebAssembly assembler: just what the batch row kernel (rowKernel.ts) needs, so that
 * the kernel is written here as code, not shipped as a binary built by a toolchain.
 *
 * A function body is emitted by chained calls in stack order (`f.get('a').get('b').add()` pushes
 * a and b and adds them). Locals are declared by name and type; branches name the block or loop
 * they leave or repeat, and the nesting depth WebAssembly wants is worked out here.
 */

export const I32 = 0x7f;
export const I64 = 0x7e;
export const V128 = 0x7b;
export type ValueType = typeof I32 | typeof I64 | typeof V128;

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

function sleb(n: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    if ((n === 0n && (b & 0x40) === 0) || (n === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const section = (id: number, bytes: number[]) => [id, ...uleb(bytes.length), ...bytes];
const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const name = (text: string) => [...uleb(text.length), ...Array.from(text, (ch) => ch.charCodeAt(0))];

export class FunctionBody {
  private readonly code: number[] = [];
  private readonly labels: string[] = [];
  private readonly locals = new Map<string, number>();
  private readonly declared: ValueType[] = [];

  constructor(
    readonly params: [string, ValueType][],
    readonly results: ValueType[],
  ) {
    params.forEach(([n], i) => this.locals.set(n, i));
  }

  /** The function's type, as the type section lists it. */
  get type(): number[] {
    return [0x60, ...vector(this.params.map(([, t]) => [t])), ...vector(this.results.map((t) => [t]))];
  }

  /** Declares locals of one type (zero at entry, as WebAssembly guarantees). */
  local(type: ValueType, ...names: string[]): this {
    for (const n of names) {
      if (this.locals.has(n)) throw new Error(`local ${n} declared twice`);
      this.locals.set(n, this.params.length + this.declared.length);
      this.declared.push(type);
    }
    return this;
  }

  /** The encoded body: local declarations (runs of one type) and code. */
  encode(): number[] {
    const runs: number[][] = [];
    for (let i = 0; i < this.declared.length;) {
      let j = i;
      while (j < this.declared.length && this.declared[j] === this.declared[i]) j++;
      runs.push([...uleb(j - i), this.declared[i]]);
      i = j;
    }
    const body = [...vector(runs), ...this.code, 0x0b];
    return [...uleb(body.length), ...body];
  }

  private index(n: string): number {
    const at = this.locals.get(n);
    if (at === undefined) throw new Error(`no local ${n}`);
    return at;
  }

  get(n: string): this {
    return this.op(0x20, ...uleb(this.index(n)));
  }
  set(n: string): this {
    return this.op(0x21, ...uleb(this.index(n)));
  }
  tee(n: string): this {
    return this.op(0x22, ...uleb(this.index(n)));
  }
  drop(): this {
    return this.op(0x1a);
  }
  /** Of the three values on the stack, the first when the third is not zero, else the second. */
  select(): this {
    return this.op(0x1b);
  }
  call(index: number): this {
    return this.op(0x10, ...uleb(index));
  }
  ret(): this {
    return this.op(0x0f);
  }

  // i32
  const(value: number): this {
    return this.op(0x41, ...sleb(BigInt(value | 0)));
  }
  load(offset = 0): this {
    return this.op(0x28, 2, ...uleb(offset));
  }
  load8(offset = 0): this {
    return this.op(0x2d, 0, ...uleb(offset));
  }
  store(offset = 0): this {
    return this.op(0x36, 2, ...uleb(offset));
  }
  store8(offset = 0): this {
    return this.op(0x3a, 0, ...uleb(offset));
  }
  store16(offset = 0): this {
    return this.op(0x3b, 1, ...uleb(offset));
  }
  eqz(): this {
    return this.op(0x45);
  }
  eq(): this {
    return this.op(0x46);
  }
  ne(): this {
    return this.op(0x47);
  }
  ltU(): this {
    return this.op(0x49);
  }
  gtU(): this {
    return this.op(0x4b);
  }
  leU(): this {
    return this.op(0x4d);
  }
  geU(): this {
    return this.op(0x4f);
  }
  add(): this {
    return this.op(0x6a);
  }
  sub(): this {
    return this.op(0x6b);
  }
  mul(): this {
    return this.op(0x6c);
  }
  and(): this {
    return this.op(0x71);
  }
  or(): this {
    return this.op(0x72);
  }
  xor(): this {
    return this.op(0x73);
  }
  shl(): this {
    return this.op(0x74);
  }
  shrU(): this {
    return this.op(0x76);
  }
  wrap(): this {
    return this.op(0xa7);
  }

  // i64
  const64(value: bigint): this {
    return this.op(0x42, ...sleb(BigInt.asIntN(64, value)));
  }
  load64(offset = 0): this {
    return this.op(0x29, 3, ...uleb(offset));
  }
  store64(offset = 0): this {
    return this.op(0x37, 3, ...uleb(offset));
  }
  /** The i32 on the stack as an unsigned i64. */
  extend(): this {
    return this.op(0xad);
  }
  eqz64(): this {
    return this.op(0x50);
  }
  eq64(): this {
    return this.op(0x51);
  }
  ne64(): this {
    return this.op(0x52);
  }
  ctz64(): this {
    return this.op(0x7a);
  }
  popcnt64(): this {
    return this.op(0x7b);
  }
  add64(): this {
    return this.op(0x7c);
  }
  sub64(): this {
    return this.op(0x7d);
  }
  mul64(): this {
    return this.op(0x7e);
  }
  and64(): this {
    return this.op(0x83);
  }
  or64(): this {
    return this.op(0x84);
  }
  xor64(): this {
    return this.op(0x85);
  }
  shl64(): this {
    return this.op(0x86);
  }
  shrU64(): this {
    return this.op(0x88);
  }
  rotl64(): this {
    return this.op(0x89);
  }

  // 128-bit SIMD, sixteen bytes at a time.
  v128Load(offset = 0): this {
    return this.op(0xfd, 0x00, 0, ...uleb(offset));
  }
  v128Store(offset = 0): this {
    return this.op(0xfd, 0x0b, 0, ...uleb(offset));
  }
  /** Sixteen copies of the byte `value`. */
  splat(value: number): this {
    return this.const(value).op8Splat();
  }
  /** Sixteen copies of the low byte of the i32 on the stack. */
  op8Splat(): this {
    return this.op(0xfd, 0x0f);
  }
  /** Sixteen bytes given: a constant vector. */
  v128Const(bytes: ArrayLike<number>): this {
    return this.op(0xfd, 0x0c, ...Array.from(bytes));
  }
  /** Lane i of the result is lane (lane i of the second) of the first, or 0 past the 16th. */
  swizzle(): this {
    return this.op(0xfd, 0x0e);
  }
  /** Eight 16-bit lanes shifted right by the i32 on the stack. */
  i16ShrU(): this {
    return this.op(0xfd, 0x8d, 0x01);
  }
  i8Add(): this {
    return this.op(0xfd, 0x6e);
  }
  /** Lane 0 or 1 of a vector, as an i64. */
  lane64(lane: 0 | 1): this {
    return this.op(0xfd, 0x1d, lane);
  }
  i8Eq(): this {
    return this.op(0xfd, 0x23);
  }
  /** Lanes compared as signed bytes: every byte from 0x80 up is below 0. */
  i8LtS(): this {
    return this.op(0xfd, 0x25);
  }
  i8LtU(): this {
    return this.op(0xfd, 0x26);
  }
  i8Sub(): this {
    return this.op(0xfd, 0x71);
  }
  vAnd(): this {
    return this.op(0xfd, 0x4e);
  }
  /** a & ~b, for a then b on the stack. */
  vAndNot(): this {
    return this.op(0xfd, 0x4f);
  }
  vOr(): this {
    return this.op(0xfd, 0x50);
  }
  anyTrue(): this {
    return this.op(0xfd, 0x53);
  }
  /** One bit per byte lane: its top bit, i.e. whether a comparison held there. */
  bitmask(): this {
    return this.op(0xfd, 0x64);
  }

  // Bulk memory.
  /** Fills `n` bytes at `at` with `value`, for at, value and n on the stack. */
  fill(): this {
    return this.op(0xfc, 0x0b, 0x00);
  }

  block(label: string, body: () => void): this {
    return this.nest(0x02, label, body);
  }
  loop(label: string, body: () => void): this {
    return this.nest(0x03, label, body);
  }
  /** Runs `then` when the value on the stack is not zero. */
  if(then: () => void): this {
    return this.nest(0x04, '', then);
  }
  br(label: string): this {
    return this.op(0x0c, this.depth(label));
  }
  brIf(label: string): this {
    return this.op(0x0d, this.depth(label));
  }

  private op(...bytes: number[]): this {
    for (const b of bytes) this.code.push(b);
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

/**
 * A module of `functions` (indexed in order) over one memory it imports as env.memory (of at
 * least `pages` pages, at most `maxPages`; `shared` for a memory several threads use), and the
 * exports named.
 */
export function assemble(
  functions: FunctionBody[],
  memory: { pages: number; maxPages: number; shared: boolean },
  exports: Record<string, number>,
): Uint8Array {
  const types = functions.map((f) => f.type);
  const limits = [memory.shared ? 0x03 : 0x01, ...uleb(memory.pages), ...uleb(memory.maxPages)];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vector(types)),
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, ...limits]])),
    ...section(3, vector(functions.map((_, i) => uleb(i)))),
    ...section(7, vector(Object.entries(exports).map(([n, i]) => [...name(n), 0, ...uleb(i)]))),
    ...section(10, vector(functions.map((f) => f.encode()))),
  ]);
}
