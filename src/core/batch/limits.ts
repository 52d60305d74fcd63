/**
 * Adobe's limits for one bulk upload (docs/target-api.md#upload-size): the body must be under 50 MB
 * and hold at most 500,000 rows.
 *
 * Target's docs do not say whether "MB" is 10^6 or 2^20 bytes; we take the smaller, 50,000,000
 * bytes, so a split file is accepted under either reading. The header row is not counted as a row
 * (the docs' counters count data rows), and every upload repeats the header.
 */
export const MAX_UPLOAD_BYTES = 50_000_000;
export const MAX_UPLOAD_ROWS = 500_000;

/**
 * Plans how a batch file is cut into uploads: greedily, at line boundaries, each upload starting
 * with the header line. The validator (to say how many uploads `submit` will make) and the
 * uploader (to make them) feed it the same line sizes, so the two always agree.
 */
export class UploadPlanner {
  /** Uploads closed so far, each as [first data row index, row count, bytes]. */
  readonly uploads: { firstRow: number; rows: number; bytes: number }[] = [];
  private rows = 0;
  private bytes: number;
  private nextRow = 0;

  /**
   * @param headerBytes bytes of the first line including `batch=` and its line ending
   * @param maxBytes / maxRows overridable for tests
   */
  constructor(
    private readonly headerBytes: number,
    private readonly maxBytes = MAX_UPLOAD_BYTES,
    private readonly maxRows = MAX_UPLOAD_ROWS,
  ) {
    this.bytes = headerBytes;
  }

  /**
   * Adds the next data row (its bytes including the line ending). Returns true when this row
   * starts a new upload. A single row too large for any upload still gets an upload of its own;
   * the validator reports such rows separately (TP032/TP033).
   */
  addRow(rowBytes: number): boolean {
    let startsNew = false;
    if (this.rows > 0 && (this.rows + 1 > this.maxRows || this.bytes + rowBytes >= this.maxBytes)) {
      this.close();
      startsNew = true;
    }
    this.rows++;
    this.bytes += rowBytes;
    return startsNew;
  }

  /**
   * Rows and bytes (line endings included) that addRow would still add to the current upload,
   * each row added keeping under both.
   */
  get rowsLeft(): number {
    return this.maxRows - this.rows;
  }

  get bytesLeft(): number {
    return this.maxBytes - this.bytes;
  }

  /** `rows` rows of `bytes` in all that fit in the current upload (see rowsLeft), as addRow each. */
  addRows(rows: number, bytes: number): void {
    this.rows += rows;
    this.bytes += bytes;
  }

  /** Closes the last upload and returns all of them; a file with no data rows makes one upload. */
  finish(): { firstRow: number; rows: number; bytes: number }[] {
    if (this.rows > 0 || this.uploads.length === 0) this.close();
    return this.uploads;
  }

  private close(): void {
    this.uploads.push({ firstRow: this.nextRow, rows: this.rows, bytes: this.bytes });
    this.nextRow += this.rows;
    this.rows = 0;
    this.bytes = this.headerBytes;
  }
}
