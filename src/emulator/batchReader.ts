import * as querystring from 'querystring';

/** Form decoding of one field: `+` is a space, `%XX` a byte; malformed escapes are kept as written. */
export function formDecode(raw: string): string {
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  return querystring.unescape(raw.replace(/\+/g, ' '));
}

/**
 * Reads a bulk upload as it streams in: the form field `batch` (a raw body starting with `batch=` is the
 * same thing), rows split on LF (CRLF tolerated), fields split on `,` and then form-decoded, so `%2C`
 * stays inside a value. A raw `&` ends the field, as form decoding would.
 */
export class BatchReader {
  header: string[] | undefined;
  rows = 0;
  bytes = 0;
  sawBatchField = false;
  private line: Buffer[] = [];
  private lineBytes = 0;
  /** 'name': reading a form field name; 'batch': inside the batch field; 'skip': another field's value. */
  private state: 'name' | 'batch' | 'skip' = 'name';
  private name = '';

  /** `row` is the raw line: fields are split and decoded by the handler, only as far as it needs. */
  constructor(private readonly onRow: (row: string) => void) {}

  write(chunk: Buffer): void {
    this.bytes += chunk.length;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.state === 'name') {
        const byte = chunk[pos++];
        if (byte === 0x3d /* = */) {
          this.state = formDecode(this.name) === 'batch' && !this.sawBatchField ? 'batch' : 'skip';
          this.sawBatchField ||= this.state === 'batch';
          this.name = '';
        } else if (byte === 0x26 /* & */) this.name = '';
        else if (this.name.length < 64) this.name += String.fromCharCode(byte);
        continue;
      }
      const amp = chunk.indexOf(0x26, pos);
      const stop = amp === -1 ? chunk.length : amp;
      if (this.state === 'skip') {
        if (amp !== -1) this.state = 'name';
        pos = stop + 1;
        continue;
      }
      let start = pos;
      const first = chunk.indexOf(0x0a, start);
      if (first !== -1 && first < stop) {
        this.push(chunk.subarray(start, first));
        this.endLine();
        // Lines end at LF, so the rest up to the last LF decodes as one string: far cheaper than per line.
        const last = chunk.lastIndexOf(0x0a, stop - 1);
        if (last > first) for (const line of chunk.toString('utf8', first + 1, last).split('\n')) this.endLine(line);
        start = last + 1;
      }
      if (start < stop) this.push(chunk.subarray(start, stop));
      if (amp !== -1) {
        this.endLine();
        this.state = 'skip';
      }
      pos = stop + (amp !== -1 ? 1 : 0);
    }
  }

  end(): void {
    if (this.state === 'batch') this.endLine();
  }

  private push(part: Buffer): void {
    // A line longer than 1 MiB is not a row Target would take; keep memory bounded and mark it.
    if (this.lineBytes < 1024 * 1024) this.line.push(Buffer.from(part));
    this.lineBytes += part.length;
  }

  private endLine(whole?: string): void {
    let text = whole ?? Buffer.concat(this.line).toString('utf8');
    this.line = [];
    this.lineBytes = 0;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text === '') return;
    if (!this.header) {
      this.header = text.split(',').map(formDecode);
      return;
    }
    this.rows++;
    this.onRow(text);
  }
}
