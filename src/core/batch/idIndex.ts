/**
 * The ids seen in a file and the row each was first seen on, for TP014 (duplicate ids).
 *
 * A file read through the row kernel logs its ids there (a hash and a line each, duplicates
 * confirmed by comparing the ids themselves; see rowKernel.ts). Where there is no kernel, and for
 * validateText, the ids go into IdMap: a Map of the ids themselves, exact by construction.
 */

/** What a validation needs of an id set. */
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

/** The id set where there is no kernel: the ids themselves in a Map. */
export class IdMap extends KeyBuffer implements IdSet {
  private readonly first = new Map<string, number>();
  /** The key as given to setKey, so that it need not be rebuilt from its units. */
  private text: string | undefined;

  get size(): number {
    return this.first.size;
  }

  setKey(text: string): void {
    this.text = text;
    this.keyLength = text.length;
  }

  reserve(length: number): Uint16Array {
    this.text = undefined;
    return super.reserve(length);
  }

  addKey(row: number): number {
    const id = this.text ?? textOf(this.key, this.keyLength);
    this.text = undefined;
    const first = this.first.get(id);
    if (first !== undefined) return first;
    this.first.set(id, row);
    return -1;
  }

  /** Nothing to size: a Map grows as it needs. */
  expect(_entries: number): void {}
}

/** The first `n` units of `key` as a string, a slice at a time (an id may have a million units). */
function textOf(key: Uint16Array, n: number): string {
  let text = '';
  for (let i = 0; i < n; i += 8192) text += String.fromCharCode(...key.subarray(i, Math.min(n, i + 8192)));
  return text;
}
