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
 * with `addKey`, so that a row read from bytes never needs to become a string. validateFile keeps
 * ids in WebAssembly memory instead (see rowKernel.ts); this class is what runs where WebAssembly
 * is missing, and for validateText.
 */

const PAGE_BYTES = 1 << 22;

/**
 * The hash of an id is taken over its stored bytes (one per unit, or two little-endian bytes per
 * unit for a wide id), four at a time: a step per byte was the slowest part of the kernel, each
 * one waiting for the multiply before it. The steps and the final mix are MurmurHash3's; the last
 * word is zero-padded, which is unambiguous because the packed length (units * 2 + wide flag) is
 * mixed in at the end.
 */
const HASH_SEED = 0x9747b28c | 0;

function hashStep(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function hashFinish(h: number, packedLength: number): number {
  h ^= packedLength;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The hash of the first `n` units of `key`, as stored: see hashStep. */
export function hashStoredKey(key: Uint16Array, n: number, wide: boolean): number {
  let h = HASH_SEED;
  let i = 0;
  if (!wide) {
    for (; i + 4 <= n; i += 4) h = hashStep(h, key[i] | (key[i + 1] << 8) | (key[i + 2] << 16) | (key[i + 3] << 24));
    if (i < n) h = hashStep(h, key[i] | (i + 1 < n ? key[i + 1] << 8 : 0) | (i + 2 < n ? key[i + 2] << 16 : 0));
  } else {
    for (; i + 2 <= n; i += 2) h = hashStep(h, key[i] | (key[i + 1] << 16));
    if (i < n) h = hashStep(h, key[i]);
  }
  return hashFinish(h, n * 2 + (wide ? 1 : 0));
}

/** What a validation needs of an id set: see IdIndex. */
export interface IdSet {
  /** The key to look up next: its UTF-16 code units. */
  key: Uint16Array;
  keyLength: number;
  /** Makes room for a key of `length` units in `key` (its content is kept). */
  reserve(length: number): Uint16Array;
  /** Puts a string in `key`. */
  setKey(text: string): void;
  /**
   * Looks up `key`: when it is new, records `row` for it and returns -1; otherwise returns the row
   * recorded for its first occurrence. Rows are non-negative numbers below 2^53. A set that finds
   * duplicates after the pass instead (RowKernel, with its candidates) records and returns -1.
   */
  addKey(row: number): number;
  /** Sizes the table for `entries` keys in all (a hint: a wrong one only costs time or room). */
  expect(entries: number): void;
}

/** The key buffer both id sets share. */
export class KeyBuffer {
  key = new Uint16Array(256);
  keyLength = 0;

  reserve(length: number): Uint16Array {
    if (length > this.key.length) {
      const bigger = new Uint16Array(Math.max(length, this.key.length * 2));
      bigger.set(this.key);
      this.key = bigger;
    }
    return this.key;
  }

  setKey(text: string): void {
    const key = this.reserve(text.length);
    for (let i = 0; i < text.length; i++) key[i] = text.charCodeAt(i);
    this.keyLength = text.length;
  }

  /** Whether a unit of the key is over 255, so that it is stored two bytes a unit. */
  protected keyIsWide(): boolean {
    const key = this.key;
    let wide = 0;
    for (let i = 0; i < this.keyLength; i++) wide |= key[i];
    return wide > 0xff;
  }
}

export class IdIndex extends KeyBuffer implements IdSet {
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

  addKey(row: number): number {
    const n = this.keyLength;
    const wide = this.keyIsWide();
    const h = hashStoredKey(this.key, n, wide);
    const isWide = wide ? 1 : 0;
    const packedLength = n * 2 + isWide;
    const mask = this.mask;
    const slots = this.slots;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const entry = slots[2 * slot] - 1;
      if (entry === -1) break;
      if (slots[2 * slot + 1] === h && this.lengths[entry] === packedLength && this.sameKey(entry, n, isWide)) {
        return this.rows[entry];
      }
    }
    this.insert(h, packedLength, isWide, row);
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
