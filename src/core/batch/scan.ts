import * as l10n from '@vscode/l10n';
import { count } from '../displayLanguage';
import { decodeFormValue, hexValue, isHexDigit } from './encoding';
import { type BatchDiagnostic, RuleCode, rules } from './rules';

/**
 * The per-line rules of docs/rules.md. Each line is scanned once with indexes; only
 * the header's names and each row's id are ever materialised as strings, so a whole-file pass
 * stays linear and allocates little. The streaming validator and the editor's incremental model
 * both call these functions, which is what keeps their results identical.
 */

export const MAX_LINE_BYTES = 1024 * 1024;
export const MAX_ROW_DATA_BYTES = 64 * 1024;
const MAX_NAME_LENGTH = 128;
const MAX_VALUE_LENGTH = 256;
export const MAX_ID_LENGTH = { pcId: 128, thirdPartyId: 256 } as const;

/** A diagnostic of one line, positioned by columns only so that it survives line shifts. */
export interface LineDiagnostic {
  code: RuleCode;
  column: number;
  endColumn: number;
  message: string;
}

/** What the header line tells the rows. */
export interface BatchHeader {
  line: number;
  /** End of the header's text (before any CR): file-level rules are reported over line 1. */
  endColumn: number;
  idColumn?: 'pcId' | 'thirdPartyId';
  /** Attribute names as written. */
  attributes: string[];
  /** Decoded UTF-8 size of each attribute name, for the 64 KB row limit. */
  attributeBytes: number[];
  /** Fields a row may have; undefined when the header line was too long to read. */
  fieldCount?: number;
  /** UTF-8 bytes of the header line, without its LF. */
  bytes: number;
  diagnostics: BatchDiagnostic[];
}

/** What a data line contributes to the file-level rules; one object is reused for every line. */
export interface RowFacts {
  blank: boolean;
  /** The decoded id, when the row has one. */
  id: string | undefined;
  /** End column of the id field (ids always start at column 0). */
  idEnd: number;
  hasValues: boolean;
  /** UTF-8 bytes of the line, without its LF. */
  bytes: number;
}

export function newRowFacts(): RowFacts {
  return { blank: false, id: undefined, idEnd: 0, hasValues: false, bytes: 0 };
}

export function diagnostic(
  code: RuleCode,
  line: number,
  column: number,
  endColumn: number,
  message: string,
): BatchDiagnostic {
  return { line, column, endLine: line, endColumn, code, severity: rules[code].severity, message };
}

/**
 * Whether a line before the header is blank. Over-long lines are never blank: a file reader does
 * not decode them, and the text validator must decide the same way.
 */
export function isLeadingBlankLine(line: string, knownBytes?: number): boolean {
  const bytes = knownBytes ?? lineBytesIfLong(line);
  return (bytes === undefined || bytes <= MAX_LINE_BYTES) && isBlankLine(line);
}

/** Blank lines hold only spaces, tabs and CRs. */
export function isBlankLine(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

// 1 for printable ASCII that needs no attention inside a field; everything else takes the slow path.
const PLAIN = new Uint8Array(128);
for (let c = 0x20; c < 0x7f; c++) PLAIN[c] = 1;
for (const c of '&%+"') PLAIN[c.charCodeAt(0)] = 0;

// Results of the last checkField call, kept in module state so that no object is allocated per field.
let trimStart = 0;
let trimEnd = 0;
let decodedLength = 0;
let decodedBytes = 0;
let extraBytes = 0;
let sawQuote = false;

function describeCharacters(text: string): string {
  const shown = text.length > 16 ? text.slice(0, 16) : text;
  let out = '';
  for (const ch of shown) {
    const c = ch.codePointAt(0) ?? 0;
    out += c < 0x20 || c === 0x7f ? `<U+${c.toString(16).toUpperCase().padStart(4, '0')}>` : ch;
  }
  return text.length > 16 ? out + '...' : out;
}

function pushCharacterRun(line: string, start: number, end: number, out: LineDiagnostic[]): void {
  out.push({
    code: 'TP024',
    column: start,
    endColumn: end,
    message: l10n.t(
      '"{0}" must be percent-encoded as UTF-8 (non-ASCII text, tabs and control characters are not sent as written)',
      describeCharacters(line.slice(start, end)),
    ),
  });
}

/**
 * Checks the characters of one field [start, end) for the encoding rules (TP020-TP024, TP027,
 * TP028 for stray CRs) and measures it as the server would decode it.
 */
function checkField(line: string, start: number, end: number, reportPlus: boolean, out: LineDiagnostic[]): void {
  let s = start;
  let t = end;
  while (s < t && (line.charCodeAt(s) === 32 || line.charCodeAt(s) === 9)) s++;
  while (t > s && (line.charCodeAt(t - 1) === 32 || line.charCodeAt(t - 1) === 9)) t--;
  if (s === t && end > start) {
    out.push({
      code: 'TP027',
      column: start,
      endColumn: end,
      message: l10n.t('This field holds only spaces or tabs; they are sent as part of the value'),
    });
  } else {
    if (s > start) {
      out.push({
        code: 'TP027',
        column: start,
        endColumn: s,
        message: l10n.t('Spaces or tabs at the start of a field are sent as part of the value'),
      });
    }
    if (t < end) {
      out.push({
        code: 'TP027',
        column: t,
        endColumn: end,
        message: l10n.t('Spaces or tabs at the end of a field are sent as part of the value'),
      });
    }
  }
  trimStart = s;
  trimEnd = t;
  sawQuote = false;
  // Every plain character decodes to one character and one byte; the loop only corrects for the rest.
  let length = end - start;
  let bytes = end - start;
  let extra = 0;
  let runStart = -1;
  let runEnd = -1;
  // The whole field, edges included: a tab at an edge is both edge whitespace (TP027, above) and an
  // unencoded character (TP024), each rule reporting what it sees.
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c < 128 && PLAIN[c] === 1) continue;
    let bad = false;
    let width = 1;
    if (c === 37) {
      if (i + 2 < t && isHexDigit(line.charCodeAt(i + 1)) && isHexDigit(line.charCodeAt(i + 2))) {
        const byte = hexValue(line.charCodeAt(i + 1)) * 16 + hexValue(line.charCodeAt(i + 2));
        length -= (byte & 0xc0) === 0x80 ? 3 : 2;
        bytes -= 2;
        i += 2;
      } else {
        out.push({
          code: 'TP021',
          column: i,
          endColumn: i + 1,
          message: l10n.t('A % must be followed by two hex digits; encode a literal % as %25'),
        });
      }
    } else if (c === 38) {
      out.push({
        code: 'TP020',
        column: i,
        endColumn: i + 1,
        message: l10n.t(
          'A raw & ends the upload at this point (the server reads it as the next form field); encode it as %26',
        ),
      });
    } else if (c === 43) {
      if (reportPlus) {
        out.push({
          code: 'TP022',
          column: i,
          endColumn: i + 1,
          message: l10n.t('A raw + arrives as a space; encode a literal + as %2B'),
        });
      }
    } else if (c === 34) {
      sawQuote = true;
    } else if (c === 13) {
      out.push({
        code: 'TP028',
        column: i,
        endColumn: i + 1,
        message: l10n.t('A CR character inside a line; batch files use LF line ends only'),
      });
    } else if (c < 128) {
      bad = true;
    } else {
      bad = true;
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < t && (line.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        // A surrogate pair: one character, four UTF-8 bytes.
        width = 2;
        length -= 1;
        extra += 2;
      } else {
        extra += c < 0x800 ? 1 : 2;
      }
    }
    if (bad) {
      if (runEnd !== i) {
        if (runStart !== -1) pushCharacterRun(line, runStart, runEnd, out);
        runStart = i;
      }
      runEnd = i + width;
    }
    i += width - 1;
  }
  if (runStart !== -1) pushCharacterRun(line, runStart, runEnd, out);
  decodedLength = length;
  decodedBytes = bytes + extra;
  extraBytes = extra;
}

/**
 * Reports a double quote (TP023). A field that opens with a quote is reported together with the
 * fields up to its closing quote, since the commas in between still split it. Returns the column
 * up to which later quotes are already covered.
 */
function reportQuote(line: string, contentEnd: number, out: LineDiagnostic[]): number {
  let end = trimEnd;
  if (line.charCodeAt(trimStart) === 34) {
    const close = line.indexOf('"', trimStart + 1);
    if (close !== -1 && close < contentEnd) {
      const comma = line.indexOf(',', close);
      end = Math.max(end, comma === -1 || comma > contentEnd ? contentEnd : comma);
    }
  }
  out.push({
    code: 'TP023',
    column: trimStart,
    endColumn: end,
    message: l10n.t(
      'CSV quoting is not part of this format: the quotes are stored literally and commas inside them still split the field; encode commas as %2C',
    ),
  });
  return end;
}

function contentEndOf(line: string): number {
  return line.length > 0 && line.charCodeAt(line.length - 1) === 13 ? line.length - 1 : line.length;
}

function crLineEnd(column: number): LineDiagnostic {
  return {
    code: 'TP028',
    column,
    endColumn: column + 1,
    message: l10n.t('CRLF line end: batch files use LF; the CR would be sent as part of the last value'),
  };
}

/** UTF-8 bytes of a line, computed only for lines long enough to possibly exceed 1 MiB. */
function lineBytesIfLong(line: string): number | undefined {
  return line.length * 3 > MAX_LINE_BYTES ? Buffer.byteLength(line, 'utf8') : undefined;
}

function overlongLine(utf16Length: number, bytes: number): LineDiagnostic {
  return {
    code: 'TP033',
    column: 0,
    endColumn: utf16Length,
    message: l10n.t(
      'This line is {0} bytes, over the 1 MiB a line may have; the rest of it is not checked',
      count(bytes),
    ),
  };
}

export function invalidUtf8(utf16Length: number): LineDiagnostic {
  return {
    code: 'TP033',
    column: 0,
    endColumn: utf16Length,
    message: l10n.t('This line holds bytes that are not valid UTF-8; they are shown as U+FFFD'),
  };
}

const ID_RENAMES = new Map<string, 'pcId' | 'thirdPartyId'>([
  ['pcid', 'pcId'],
  ['mboxpc', 'pcId'],
  ['tntid', 'pcId'],
  ['pc_id', 'pcId'],
  ['pc-id', 'pcId'],
  ['thirdpartyid', 'thirdPartyId'],
  ['mbox3rdpartyid', 'thirdPartyId'],
  ['3rdpartyid', 'thirdPartyId'],
  ['mboxthirdpartyid', 'thirdPartyId'],
  ['third_party_id', 'thirdPartyId'],
  ['third-party-id', 'thirdPartyId'],
]);

/** The id column a misspelt header clearly means, for the TP002 rename; undefined when unclear. */
export function intendedIdColumn(written: string): 'pcId' | 'thirdPartyId' | undefined {
  return ID_RENAMES.get(decodeFormValue(written).trim().toLowerCase());
}

function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if ((text.charCodeAt(i) & 0xfc00) !== 0xdc00) n++;
  return n;
}

/** Scans the header: the first line that is not blank, after `leadingBlankLines` blank ones. */
export function scanHeader(
  line: string,
  lineIndex: number,
  leadingBlankLines: number,
  knownBytes?: number,
  utf16Length = line.length,
): BatchHeader {
  const diagnostics: BatchDiagnostic[] = [];
  const header: BatchHeader = {
    line: lineIndex,
    endColumn: utf16Length,
    attributes: [],
    attributeBytes: [],
    bytes: 0,
    diagnostics,
  };
  if (leadingBlankLines > 0) {
    diagnostics.push({
      ...diagnostic('TP001', 0, 0, 0, `${leadingBlankLines} blank line(s) before batch=: the body must start with it`),
      endLine: lineIndex,
    });
  }
  const bytes = knownBytes ?? lineBytesIfLong(line);
  if (bytes !== undefined && bytes > MAX_LINE_BYTES) {
    const d = overlongLine(utf16Length, bytes);
    diagnostics.push(diagnostic(d.code, lineIndex, d.column, d.endColumn, d.message));
    header.bytes = bytes;
    return header;
  }
  const out: LineDiagnostic[] = [];
  const contentEnd = contentEndOf(line);
  header.endColumn = contentEnd;
  if (contentEnd < line.length) out.push(crLineEnd(contentEnd));
  let pos = 0;
  let extra = 0;
  if (line.charCodeAt(0) === 0xfeff) {
    out.push({
      code: 'TP001',
      column: 0,
      endColumn: 1,
      message: l10n.t('A byte-order mark before batch=: the body must start with batch= exactly'),
    });
    pos = 1;
    extra += 2;
  }
  const spaces = pos;
  while (pos < contentEnd && (line.charCodeAt(pos) === 32 || line.charCodeAt(pos) === 9)) pos++;
  if (pos > spaces) {
    out.push({
      code: 'TP001',
      column: spaces,
      endColumn: pos,
      message: l10n.t('Spaces before batch=: the body must start with batch= exactly'),
    });
  }
  const prefix = line.substr(pos, 6);
  if (prefix === 'batch=') {
    pos += 6;
  } else if (prefix.toLowerCase() === 'batch=') {
    out.push({
      code: 'TP001',
      column: pos,
      endColumn: pos + 6,
      message: l10n.t('"{0}" must be written batch= exactly (lower case)', prefix),
    });
    pos += 6;
  } else {
    out.push({
      code: 'TP001',
      column: pos,
      endColumn: pos,
      message: l10n.t('The file must start with batch= followed by the header row'),
    });
  }

  const firstName = new Map<string, { column: number; endColumn: number }>();
  let fieldStart = pos;
  let coveredUntil = 0;
  for (let field = 0; ; field++) {
    let fieldEnd = line.indexOf(',', fieldStart);
    if (fieldEnd === -1 || fieldEnd > contentEnd) fieldEnd = contentEnd;
    checkField(line, fieldStart, fieldEnd, false, out);
    extra += extraBytes;
    if (sawQuote && trimStart >= coveredUntil) coveredUntil = reportQuote(line, contentEnd, out);
    const written = line.slice(fieldStart, fieldEnd);
    if (field === 0) {
      if (written === 'pcId' || written === 'thirdPartyId') {
        header.idColumn = written;
      } else {
        const intended = intendedIdColumn(written);
        out.push({
          code: 'TP002',
          column: fieldStart,
          endColumn: fieldEnd,
          message:
            written === ''
              ? l10n.t('The first header column must be pcId or thirdPartyId, and it is empty')
              : intended
                ? l10n.t(
                    'The first header column must be exactly pcId or thirdPartyId, not "{0}" (did you mean {1}?)',
                    written,
                    intended,
                  )
                : l10n.t('The first header column must be exactly pcId or thirdPartyId, not "{0}"', written),
        });
      }
    } else {
      header.attributes.push(written);
      const name = decodeFormValue(line.slice(trimStart, trimEnd));
      header.attributeBytes.push(Buffer.byteLength(name, 'utf8'));
      if (fieldEnd === fieldStart) {
        out.push({
          code: 'TP005',
          column: fieldStart - 1,
          endColumn: fieldStart,
          message: l10n.t('An empty attribute name (two commas in a row, or a trailing comma in the header)'),
        });
      } else {
        const bare = name.startsWith('profile.') ? name.slice(8) : name;
        if (bare !== name) {
          out.push({
            code: 'TP004',
            column: trimStart,
            endColumn: trimEnd,
            message: l10n.t('Write the bare name "{0}": the bulk API adds profile. itself', bare),
          });
        }
        if (codePointLength(bare) > MAX_NAME_LENGTH) {
          out.push({
            code: 'TP007',
            column: trimStart,
            endColumn: trimEnd,
            message: l10n.t(
              'This attribute name is {0} characters long; keep names within {1}',
              count(codePointLength(bare)),
              count(MAX_NAME_LENGTH),
            ),
          });
        } else if (!/^[A-Za-z0-9_-]*$/.test(bare)) {
          out.push({
            code: 'TP007',
            column: trimStart,
            endColumn: trimEnd,
            message: l10n.t(
              '"{0}" holds characters other than letters, digits, _ and -; dotted names collide with Target\'s own namespaces',
              describeCharacters(bare),
            ),
          });
        }
        const first = firstName.get(name);
        if (first) {
          diagnostics.push({
            ...diagnostic(
              'TP006',
              lineIndex,
              trimStart,
              trimEnd,
              l10n.t(
                'The attribute "{0}" is already named earlier in the header; later values may overwrite earlier ones',
                describeCharacters(name),
              ),
            ),
            related: [
              {
                line: lineIndex,
                column: first.column,
                endLine: lineIndex,
                endColumn: first.endColumn,
                message: l10n.t('first named here'),
              },
            ],
          });
        } else if (name !== '') {
          firstName.set(name, { column: trimStart, endColumn: trimEnd });
        }
      }
    }
    if (fieldEnd >= contentEnd) {
      header.fieldCount = field + 1;
      break;
    }
    fieldStart = fieldEnd + 1;
  }
  if (header.fieldCount === 1) {
    out.push({
      code: 'TP003',
      column: 0,
      endColumn: contentEnd,
      message: l10n.t('The header names no attribute after the id column, so no row can update anything'),
    });
  }
  for (const d of out) diagnostics.push(diagnostic(d.code, lineIndex, d.column, d.endColumn, d.message));
  header.bytes = bytes ?? line.length + extra;
  return header;
}

/**
 * Scans one line after the header. Its diagnostics go to `out` (columns only) and what the
 * file-level rules need goes to `facts`. `knownBytes` is the line's size on disk when the caller
 * has it (a line read from a file), which matters for lines that were not valid UTF-8.
 */
export function scanRow(
  line: string,
  header: BatchHeader,
  out: LineDiagnostic[],
  facts: RowFacts,
  knownBytes?: number,
  utf16Length = line.length,
): void {
  facts.id = undefined;
  facts.idEnd = 0;
  facts.hasValues = false;
  facts.blank = false;
  const bytes = knownBytes ?? lineBytesIfLong(line);
  if (bytes !== undefined && bytes > MAX_LINE_BYTES) {
    out.push(overlongLine(utf16Length, bytes));
    facts.bytes = bytes;
    // Unread, so assume it carries values rather than report the file as empty.
    facts.hasValues = true;
    return;
  }
  if (isBlankLine(line)) {
    out.push({
      code: 'TP028',
      column: 0,
      endColumn: line.length,
      message: l10n.t('A blank line; delete it (blank lines are not rows)'),
    });
    facts.blank = true;
    facts.bytes = bytes ?? line.length;
    return;
  }
  const contentEnd = contentEndOf(line);
  if (contentEnd < line.length) out.push(crLineEnd(contentEnd));
  const columns = header.fieldCount;
  const thirdPartyId = header.idColumn === 'thirdPartyId';
  let extra = 0;
  let dataBytes = 0;
  let extraFieldsStart = -1;
  let coveredUntil = 0;
  let fieldStart = 0;
  let field = 0;
  for (; ; field++) {
    let fieldEnd = line.indexOf(',', fieldStart);
    if (fieldEnd === -1 || fieldEnd > contentEnd) fieldEnd = contentEnd;
    checkField(line, fieldStart, fieldEnd, field > 0 || !thirdPartyId, out);
    extra += extraBytes;
    if (sawQuote && trimStart >= coveredUntil) coveredUntil = reportQuote(line, contentEnd, out);
    if (field === 0) {
      facts.idEnd = fieldEnd;
      checkId(line, fieldEnd, header, out, facts);
    } else if (fieldEnd > fieldStart) {
      facts.hasValues = true;
      if (decodedLength > MAX_VALUE_LENGTH) {
        out.push({
          code: 'TP025',
          column: fieldStart,
          endColumn: fieldEnd,
          message: l10n.t(
            'This value is {0} characters long once decoded; Target keeps at most {1}',
            count(decodedLength),
            count(MAX_VALUE_LENGTH),
          ),
        });
      }
      if (columns === undefined || field < columns) dataBytes += decodedBytes + (header.attributeBytes[field - 1] ?? 0);
    }
    if (field === columns) extraFieldsStart = fieldStart - 1;
    if (fieldEnd >= contentEnd) break;
    fieldStart = fieldEnd + 1;
  }
  if (extraFieldsStart !== -1 && columns !== undefined) {
    out.push({
      code: 'TP010',
      column: extraFieldsStart,
      endColumn: contentEnd,
      message: l10n.t(
        'This row has {0} fields but the header has {1} columns; a raw comma inside a value splits it (encode it as %2C)',
        count(field + 1),
        count(columns),
      ),
    });
  }
  if (facts.id !== undefined && !facts.hasValues) {
    out.push({
      code: 'TP026',
      column: 0,
      endColumn: contentEnd,
      message: l10n.t('This row has an id but no value, so it changes nothing (empty values never clear an attribute)'),
    });
  }
  if (dataBytes > MAX_ROW_DATA_BYTES) {
    out.push({
      code: 'TP032',
      column: 0,
      endColumn: contentEnd,
      message: l10n.t(
        'This row carries {0} bytes of attribute data; a profile may hold at most 64 KB of external data',
        count(dataBytes),
      ),
    });
  }
  facts.bytes = bytes ?? line.length + extra;
}

/**
 * A data line's id and the end of its field, as scanRow finds them (facts.id and facts.idEnd),
 * without checking anything else; undefined for a line without one. For confirming duplicates
 * found by their hashes (see validateFile). The unit tests compare it with scanRow.
 */
export function idOfLine(line: string, knownBytes?: number): { id: string; idEnd: number } | undefined {
  const bytes = knownBytes ?? lineBytesIfLong(line);
  if ((bytes !== undefined && bytes > MAX_LINE_BYTES) || isBlankLine(line)) return undefined;
  const contentEnd = contentEndOf(line);
  let idEnd = line.indexOf(',');
  if (idEnd === -1 || idEnd > contentEnd) idEnd = contentEnd;
  let s = 0;
  let t = idEnd;
  while (s < t && (line.charCodeAt(s) === 32 || line.charCodeAt(s) === 9)) s++;
  while (t > s && (line.charCodeAt(t - 1) === 32 || line.charCodeAt(t - 1) === 9)) t--;
  if (s === t) return undefined;
  return { id: decodeFormValue(line.slice(0, idEnd)), idEnd };
}

function checkId(line: string, idEnd: number, header: BatchHeader, out: LineDiagnostic[], facts: RowFacts): void {
  if (trimStart === trimEnd) {
    out.push({
      code: 'TP011',
      column: 0,
      endColumn: Math.max(idEnd, Math.min(1, line.length)),
      message: l10n.t('This row has no id, so the server cannot tell whose profile it updates'),
    });
    return;
  }
  const written = line.slice(0, idEnd);
  facts.id = decodeFormValue(written);
  if (header.idColumn === 'thirdPartyId' && /[+/]|%2[bBfF]/.test(written)) {
    out.push({
      code: 'TP012',
      column: 0,
      endColumn: idEnd,
      message: l10n.t('A thirdPartyId may not contain + or /, raw or percent-encoded'),
    });
  }
  if (header.idColumn !== undefined && decodedLength > MAX_ID_LENGTH[header.idColumn]) {
    out.push({
      code: 'TP013',
      column: 0,
      endColumn: idEnd,
      message: l10n.t(
        'This {0} is {1} characters long; Target accepts at most {2}',
        header.idColumn,
        count(decodedLength),
        count(MAX_ID_LENGTH[header.idColumn]),
      ),
    });
  }
}

/** The value of a hex digit's byte, -1 for any other byte: the kernel's table of escapes. */
export const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 256; c++) if (isHexDigit(c)) HEX[c] = hexValue(c);
