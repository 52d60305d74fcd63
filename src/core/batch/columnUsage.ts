import { decodeFormValue } from './encoding';

/** A header column as written on line 1, with where it sits (0-based UTF-16 columns). */
export interface HeaderColumn {
  index: number;
  written: string;
  /** The name as Target will store it: form-decoded (`%20` and `+` become spaces). */
  decoded: string;
  start: number;
  end: number;
}

const PREFIX = /^\uFEFF?\s*batch=/i;

/** The columns of a header line; the first is the id column. Empty when the line has no `batch=`. */
function headerColumns(line: string): HeaderColumn[] {
  const prefix = PREFIX.exec(line);
  if (!prefix) return [];
  const columns: HeaderColumn[] = [];
  let start = prefix[0].length;
  for (let index = 0; ; index++) {
    let end = line.indexOf(',', start);
    if (end === -1) end = line.length;
    const written = line.slice(start, end).replace(/\r$/, '');
    columns.push({ index, written, decoded: decodeFormValue(written), start, end: start + written.length });
    if (end >= line.length) return columns;
    start = end + 1;
  }
}

/** The header column under a 0-based character position of line 1, if any. */
export function columnAt(line: string, character: number): HeaderColumn | undefined {
  return headerColumns(line).find((c) => character >= c.start && character <= c.end);
}

/**
 * How many data rows set a column and how many leave it empty (blank lines are not rows).
 * Scans each row only up to that column, without splitting it into fields.
 */
export function columnUsage(
  lineCount: number,
  lineAt: (line: number) => string,
  index: number,
): { set: number; empty: number } {
  let set = 0;
  let empty = 0;
  for (let i = 1; i < lineCount; i++) {
    const line = lineAt(i);
    if (line.trim() === '') continue;
    let start = 0;
    for (let k = 0; k < index && start !== -1; k++) {
      const comma = line.indexOf(',', start);
      start = comma === -1 ? -1 : comma + 1;
    }
    if (start === -1) {
      empty++;
      continue;
    }
    let end = line.indexOf(',', start);
    if (end === -1) end = line.length;
    if (line.slice(start, end).replace(/\r$/, '').trim() === '') empty++;
    else set++;
  }
  return { set, empty };
}
