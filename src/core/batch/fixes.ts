import * as l10n from '@vscode/l10n';
import { decodeFormValue, percentEncodeUtf8 } from './encoding';
import type { RuleCode } from './rules';
import { intendedIdColumn, isBlankLine } from './scan';
import type { BatchDiagnostic, Range } from './validator';

/**
 * The quick fixes of the rule catalogue as plain text edits, so the editor and the tests apply the
 * very same changes.
 */
export interface TextEdit extends Range {
  newText: string;
}

export interface BatchFix {
  title: string;
  edits: TextEdit[];
  isPreferred?: boolean;
  code: RuleCode;
}

/** Rules whose fix is always safe to apply without looking: the "fix all" set. */
const SAFE_CODES = new Set<RuleCode>(['TP001', 'TP004', 'TP020', 'TP021', 'TP022', 'TP024', 'TP027', 'TP028']);

function edit(line: number, column: number, endLine: number, endColumn: number, newText: string): TextEdit {
  return { line, column, endLine, endColumn, newText };
}

function replace(d: BatchDiagnostic, newText: string): TextEdit {
  return edit(d.line, d.column, d.endLine, d.endColumn, newText);
}

function fix(d: BatchDiagnostic, title: string, edits: TextEdit[]): BatchFix {
  return { title, edits, isPreferred: true, code: d.code };
}

/** Encodes a bare attribute name, keeping the characters that need no encoding. */
function encodeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.~-]+/g, (run) => percentEncodeUtf8(run));
}

/** Every fix the catalogue offers for this diagnostic (none for rules without one). */
export function fixesFor(diagnostic: BatchDiagnostic, lineAt: (line: number) => string, lineCount: number): BatchFix[] {
  const d = diagnostic;
  if (d.line < 0 || d.line >= lineCount) return [];
  const line = lineAt(d.line);
  const written = d.endLine === d.line ? line.slice(d.column, d.endColumn) : '';
  switch (d.code) {
    case 'TP001':
      if (d.endLine > d.line) return [fix(d, l10n.t('Remove the blank lines before batch='), [replace(d, '')])];
      if (written === '\uFEFF') return [fix(d, l10n.t('Remove the byte-order mark'), [replace(d, '')])];
      if (/^[ \t]+$/.test(written)) return [fix(d, l10n.t('Remove the spaces before batch='), [replace(d, '')])];
      if (written.toLowerCase() === 'batch=') {
        return [fix(d, l10n.t('Write batch= in lower case'), [replace(d, 'batch=')])];
      }
      if (written === '') return [fix(d, l10n.t('Insert batch='), [replace(d, 'batch=')])];
      return [];
    case 'TP002': {
      const intended = intendedIdColumn(written);
      return intended ? [fix(d, l10n.t('Rename to {0}', intended), [replace(d, intended)])] : [];
    }
    case 'TP004':
      return [
        fix(d, l10n.t('Remove profile. from the name'), [
          written.startsWith('profile.')
            ? edit(d.line, d.column, d.line, d.column + 8, '')
            : replace(d, encodeName(decodeFormValue(written).slice(8))),
        ]),
      ];
    case 'TP005':
      return removeEmptyColumn(d, line, lineAt, lineCount);
    case 'TP010':
      return /^,*$/.test(written)
        ? [fix(d, l10n.t('Remove the empty extra fields'), [replace(d, '')])]
        : [fix(d, l10n.t('Encode the commas of the last value as %2C'), [replace(d, written.replace(/,/g, '%2C'))])];
    case 'TP020':
      return [fix(d, l10n.t('Encode & as %26'), [replace(d, '%26')])];
    case 'TP021':
      return [fix(d, l10n.t('Encode % as %25'), [replace(d, '%25')])];
    case 'TP022':
      return [fix(d, l10n.t('Encode + as %2B'), [replace(d, '%2B')])];
    case 'TP023':
      return [
        fix(d, l10n.t('Remove the quotes and encode the commas inside them'), [
          replace(d, written.replace(/"/g, '').replace(/,/g, '%2C')),
        ]),
      ];
    case 'TP024':
      return [fix(d, l10n.t('Percent-encode as UTF-8'), [replace(d, percentEncodeUtf8(written))])];
    case 'TP027':
      return [fix(d, l10n.t('Trim the spaces'), [replace(d, '')])];
    case 'TP028':
      if (d.column === 0 && d.endColumn === line.length && isBlankLine(line)) {
        // Deleting the line break too; a blank last line is emptied instead, which leaves a final LF.
        const whole =
          d.line < lineCount - 1 ? edit(d.line, 0, d.line + 1, 0, '') : edit(d.line, 0, d.line, line.length, '');
        return [fix(d, l10n.t('Delete the blank line'), [whole])];
      }
      return [fix(d, l10n.t('Convert to LF line ends (remove the CR)'), [replace(d, '')])];
    default:
      return [];
  }
}

/** Start and end of field `index` in a line (fields split at commas), or undefined when the line is shorter. */
function fieldBounds(line: string, index: number, from = 0): [number, number] | undefined {
  let start = from;
  for (let k = 0; k < index; k++) {
    const comma = line.indexOf(',', start);
    if (comma === -1) return undefined;
    start = comma + 1;
  }
  const comma = line.indexOf(',', start);
  let end = comma === -1 ? line.length : comma;
  if (end === line.length && line.endsWith('\r')) end--;
  return [start, Math.max(start, end)];
}

/**
 * TP005: removes an empty header column, and the matching (empty) field of every row, but only
 * when no row has a value there: otherwise the values would move to another attribute.
 */
function removeEmptyColumn(
  d: BatchDiagnostic,
  header: string,
  lineAt: (line: number) => string,
  lineCount: number,
): BatchFix[] {
  let index = 1;
  for (let i = header.indexOf(','); i !== -1 && i < d.column; i = header.indexOf(',', i + 1)) index++;
  const edits: TextEdit[] = [edit(d.line, d.column, d.line, d.column + 1, '')];
  for (let row = d.line + 1; row < lineCount; row++) {
    const text = lineAt(row);
    if (isBlankLine(text)) continue;
    const bounds = fieldBounds(text, index);
    if (!bounds) continue;
    if (bounds[1] > bounds[0]) return [];
    edits.push(edit(row, bounds[0] - 1, row, bounds[0], ''));
  }
  return [fix(d, l10n.t('Remove the empty column'), edits)];
}

/** Whether fix-all would fix this diagnostic: its rule is in the safe set and the catalogue has a fix for it. */
export function hasSafeFix(d: BatchDiagnostic, lineAt: (line: number) => string, lineCount: number): boolean {
  return SAFE_CODES.has(d.code) && fixesFor(d, lineAt, lineCount).length > 0;
}

/** How many of the given diagnostics fix-all would fix (the "N" of "Fix all N problems"). */
export function countSafelyFixable(
  lineCount: number,
  lineAt: (line: number) => string,
  diagnostics: readonly BatchDiagnostic[],
): number {
  let n = 0;
  for (const d of diagnostics) if (hasSafeFix(d, lineAt, lineCount)) n++;
  return n;
}

/**
 * The safe fixes of all the given diagnostics at once, as non-overlapping edits: applied together
 * they give a file without those problems. Edits that would overlap an earlier one are left for
 * the next run.
 */
export function fixAll(
  lineCount: number,
  lineAt: (line: number) => string,
  diagnostics: BatchDiagnostic[],
): TextEdit[] {
  const candidates: TextEdit[] = [];
  for (const d of diagnostics) {
    if (!SAFE_CODES.has(d.code)) continue;
    const first = fixesFor(d, lineAt, lineCount)[0];
    if (first) candidates.push(...first.edits);
  }
  // Of two edits of the same text, the removal wins: an edge tab is trimmed (TP027) rather than
  // encoded (TP024), which would keep it in the value.
  candidates.sort(
    (a, b) =>
      a.line - b.line ||
      a.column - b.column ||
      a.endLine - b.endLine ||
      a.endColumn - b.endColumn ||
      (a.newText === '' ? 0 : 1) - (b.newText === '' ? 0 : 1),
  );
  const accepted: TextEdit[] = [];
  let last: TextEdit | undefined;
  for (const e of candidates) {
    if (last) {
      const startsBeforeEnd = e.line < last.endLine || (e.line === last.endLine && e.column < last.endColumn);
      const sameInsertion =
        e.line === last.line && e.column === last.column && e.endLine === e.line && e.endColumn === e.column;
      if (startsBeforeEnd || sameInsertion) continue;
    }
    accepted.push(e);
    last = e;
  }
  return accepted;
}
