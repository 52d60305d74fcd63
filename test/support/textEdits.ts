import type { TextEdit } from '../../src/core/batch/fixes';

/** Applies non-overlapping edits to a text (lines split on LF), as an editor would with a fix's edits. */
export function applyTextEdits(text: string, edits: TextEdit[]): string {
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const offset = (line: number, column: number) =>
    line >= lineStarts.length
      ? text.length
      : Math.min(lineStarts[line] + column, line + 1 < lineStarts.length ? lineStarts[line + 1] - 1 : text.length);
  const ordered = edits
    .map((e) => ({ start: offset(e.line, e.column), end: offset(e.endLine, e.endColumn), newText: e.newText }))
    .sort((a, b) => b.start - a.start || b.end - a.end);
  let result = text;
  for (const e of ordered) result = result.slice(0, e.start) + e.newText + result.slice(e.end);
  return result;
}
