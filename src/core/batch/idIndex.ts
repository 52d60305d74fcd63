/**
 * The set of ids seen in a file and the row each was first seen on, for TP014 (duplicate ids).
 *
 * A Map<string, number> holding 500,000 ids costs about as much memory as the file itself (a V8
 * string and a hash-table entry per id, plus the garbage collector's headroom). This index keeps
 * the same information off the JavaScript heap in typed arrays: the ids' code units packed in an
 * arena of pages (one byte per unit when every unit is below 256, two otherwise), and an
 * open-addressing table of entry numbers keyed by a 32-bit hash. A hash match is confirmed by
 * comparing the stored code units, so the answers are exact: two different ids are never taken
 * for one another, whatever their hashes.
 *
 * Keys are written into `key` (code units, `keyLength` of them) by the caller and then looked up
 * with `addKey`, so that a row read from bytes never needs to become a string.
 */

const PAGE_BYTES = 1 << 22;
/** FNV-1a over UTF-16 code units; addHashedKey mixes in the length and scrambles the result. */
export const HASH_SEED = 0x811c9dc5 | 0;
export const HASH_PRIME = 0x01000193;

export class IdIndex {
  /** The key to look up next: its UTF-16 code units. */
  key = new Uint16Array(256);
  keyLength = 0;
  /** Set by scanPlainRowBytes with the key, for addHashedKey. */
  keyHash = 0;

  // Open addressing, two numbers a slot: the entry plus one (0 for an empty slot, so that a new
  // table needs no filling and its memory is only committed as it is used) and the hash, side by
  // side so that a probe costs one cache miss.
  private slots = new Int32Array(2 << 12);
  private mask = (1 << 12) - 1;
  private count = 0;
  // Per entry: hash, arena position (page * PAGE_BYTES + offset), units * 2 + wide flag, first row.
  private hashes = new Int32Array(1024);
  private positions = new Float64Array(1024);
  private lengths = new Int32Array(1024);
  private rows = new Float64Array(1024);
  private readonly pages: Uint8Array[] = [];
  private page: Uint8Array = new Uint8Array(0);
  private pageUsed = 0;

  get size(): number {
    return this.count;
  }

  /** Makes room for a key of `length` units in `key` (its content is kept). */
  reserve(length: number): Uint16Array {
    if (length > this.key.length) {
      const bigger = new Uint16Array(Math.max(length, this.key.length * 2));
      bigger.set(this.key);
      this.key = bigger;
    }
    return this.key;
  }

  /** Puts a string in `key`. */
  setKey(text: string): void {
    const key = this.reserve(text.length);
    for (let i = 0; i < text.length; i++) key[i] = text.charCodeAt(i);
    this.keyLength = text.length;
  }

  /**
   * Looks up `key`: when it is new, records `row` for it and returns -1; otherwise returns the row
   * recorded for its first occurrence. Rows are non-negative numbers below 2^53.
   */
  addKey(row: number): number {
    const key = this.key;
    const n = this.keyLength;
    let h = HASH_SEED;
    let wide = 0;
    for (let i = 0; i < n; i++) {
      const c = key[i];
      wide |= c;
      h = Math.imul(h ^ c, HASH_PRIME);
    }
    return this.addHashedKey(h, wide > 0xff, row);
  }

  /**
   * addKey for a caller that hashed `key` itself while writing it: `h` is the FNV-1a product of
   * HASH_SEED and each unit in turn with HASH_PRIME; `wide` says whether a unit is over 255.
   */
  addHashedKey(fnv: number, wide: boolean, row: number): number {
    const n = this.keyLength;
    let h = fnv ^ n;
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 13;
    const isWide = wide ? 1 : 0;
    const packedLength = n * 2 + isWide;
    const mask = this.mask;
    const slots = this.slots;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const entry = slots[2 * slot] - 1;
      if (entry === -1) break;
      if (slots[2 * slot + 1] === h && this.lengths[entry] === packedLength && this.sameKey(entry, n, isWide)) return this.rows[entry];
    }
    this.insert(h, packedLength, isWide, row);
    return -1;
  }

  /**
   * Copies the first `n` bytes of `src`, narrow keys one after the other, into the arena in one
   * piece and returns where they start, for addStoredKey. A bulk copy per batch of rows instead
   * of a loop per key: a key that turns out to be a repeat leaves its bytes unused in the arena,
   * which costs at most the ids' share of the file.
   */
  storeNarrowKeys(src: Uint8Array, n: number): number {
    this.ensureRoom(n);
    this.page.set(n === src.length ? src : src.subarray(0, n), this.pageUsed);
    const position = (this.pages.length - 1) * PAGE_BYTES + this.pageUsed;
    this.pageUsed += n;
    return position;
  }

  /**
   * addHashedKey for a narrow key of `n` units already in the arena at `position` (see
   * storeNarrowKeys): the key is compared and recorded in place, never copied.
   */
  addStoredKey(position: number, n: number, fnv: number, row: number): number {
    let h = fnv ^ n;
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 13;
    const packedLength = n * 2;
    const mask = this.mask;
    const slots = this.slots;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const entry = slots[2 * slot] - 1;
      if (entry === -1) break;
      if (slots[2 * slot + 1] === h && this.lengths[entry] === packedLength && this.sameStoredKey(entry, position, n)) return this.rows[entry];
    }
    this.addEntry(h, position, packedLength, row);
    return -1;
  }

  /**
   * Sizes the table for `entries` keys in all, so that a file whose row count can be estimated
   * up front is indexed without rehashing (each rehash touches every entry at random).
   */
  expect(entries: number): void {
    if (entries > this.hashes.length) this.resizeEntries(entries);
    let slotCount = this.slots.length / 2;
    while (entries * 2 > slotCount) slotCount *= 2;
    if (slotCount * 2 > this.slots.length) this.resizeSlots(slotCount);
  }

  private sameKey(entry: number, n: number, isWide: number): boolean {
    const position = this.positions[entry];
    const page = this.pages[Math.floor(position / PAGE_BYTES)];
    const offset = position % PAGE_BYTES;
    const key = this.key;
    if (isWide === 0) {
      for (let i = 0; i < n; i++) if (page[offset + i] !== key[i]) return false;
    } else {
      for (let i = 0; i < n; i++) if (page[offset + 2 * i] + page[offset + 2 * i + 1] * 256 !== key[i]) return false;
    }
    return true;
  }

  private insert(h: number, packedLength: number, isWide: number, row: number): void {
    const n = this.keyLength;
    const bytes = isWide ? n * 2 : n;
    this.ensureRoom(bytes);
    const page = this.page;
    const offset = this.pageUsed;
    const key = this.key;
    if (isWide === 0) {
      for (let i = 0; i < n; i++) page[offset + i] = key[i];
    } else {
      for (let i = 0; i < n; i++) {
        page[offset + 2 * i] = key[i] & 0xff;
        page[offset + 2 * i + 1] = key[i] >>> 8;
      }
    }
    this.pageUsed += bytes;
    this.addEntry(h, (this.pages.length - 1) * PAGE_BYTES + offset, packedLength, row);
  }

  private ensureRoom(bytes: number): void {
    if (this.pageUsed + bytes > this.page.length) {
      this.page = new Uint8Array(Math.max(PAGE_BYTES, bytes));
      this.pages.push(this.page);
      this.pageUsed = 0;
    }
  }

  private addEntry(h: number, position: number, packedLength: number, row: number): void {
    const entry = this.count++;
    if (entry === this.hashes.length) this.resizeEntries(entry * 2);
    this.hashes[entry] = h;
    this.positions[entry] = position;
    this.lengths[entry] = packedLength;
    this.rows[entry] = row;
    if (this.count * 4 > this.slots.length) this.resizeSlots(this.slots.length);
    else this.place(entry);
  }

  /** Whether the narrow key of `entry` and the one at `position` (both `n` bytes) are equal. */
  private sameStoredKey(entry: number, position: number, n: number): boolean {
    const a = this.positions[entry];
    const pageA = this.pages[Math.floor(a / PAGE_BYTES)];
    const pageB = this.pages[Math.floor(position / PAGE_BYTES)];
    const offsetA = a % PAGE_BYTES;
    const offsetB = position % PAGE_BYTES;
    for (let i = 0; i < n; i++) if (pageA[offsetA + i] !== pageB[offsetB + i]) return false;
    return true;
  }

  private place(entry: number): void {
    const mask = this.mask;
    const slots = this.slots;
    const h = this.hashes[entry];
    let slot = h & mask;
    while (slots[2 * slot] !== 0) slot = (slot + 1) & mask;
    slots[2 * slot] = entry + 1;
    slots[2 * slot + 1] = h;
  }

  private resizeEntries(size: number): void {
    const grow = <T extends Int32Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const bigger = make(size);
      bigger.set(old);
      return bigger;
    };
    this.hashes = grow(this.hashes, (n) => new Int32Array(n));
    this.positions = grow(this.positions, (n) => new Float64Array(n));
    this.lengths = grow(this.lengths, (n) => new Int32Array(n));
    this.rows = grow(this.rows, (n) => new Float64Array(n));
  }

  /** Rebuilds the slots with room for `slotCount` entries (a power of two). */
  private resizeSlots(slotCount: number): void {
    this.slots = new Int32Array(2 * slotCount);
    this.mask = slotCount - 1;
    for (let entry = 0; entry < this.count; entry++) this.place(entry);
  }
}
