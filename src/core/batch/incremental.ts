import { decodeFormValue } from './encoding';
import { MAX_UPLOAD_BYTES, MAX_UPLOAD_ROWS, UploadPlanner } from './limits';
import { BatchHeader, LineDiagnostic, isLeadingBlankLine, newRowFacts, scanHeader, scanRow } from './scan';
import {
  BatchDiagnostic,
  BatchSummary,
  FileCounts,
  duplicateIdDiagnostic,
  fileDiagnostics,
  lineDiagnostic,
  sortDiagnostics,
  summaryOf,
} from './validator';

const enum LineKind {
  BeforeHeader,
  Header,
  Row,
  Blank,
}

/** The rows sharing one id; the first of them (by line) is found while diagnostics are listed. */
class DuplicateGroup {
  readonly members = new Set<LineState>();
  /** The diagnostics() pass that last listed this group. */
  pass = 0;
}

/** What the model keeps of one line; the text itself stays in the editor's document. */
interface LineState {
  kind: LineKind;
  /** UTF-8 bytes without the LF. */
  bytes: number;
  diagnostics: LineDiagnostic[] | undefined;
  id: string | undefined;
  idEnd: number;
  hasValues: boolean;
  /** An empty last line is the end of the file after its final LF, not a blank line. */
  empty: boolean;
  duplicates: DuplicateGroup | undefined;
  /** The line's index as of `epoch` shifts; see BatchDocumentModel.lineOf. */
  line: number;
  epoch: number;
}

/**
 * The rows a full pass found nothing in, from its problems (for the model's constructor): every line
 * without a problem of its own. A duplicate id is not the row's own (the model finds duplicates
 * itself), and the rules about the whole file sit on the header, which is never taken as clean.
 */
export function cleanRows(diagnostics: BatchDiagnostic[], lineCount: number): (line: number) => boolean {
  const flagged = new Uint8Array(lineCount);
  for (const d of diagnostics) {
    if (d.code === 'TP014') continue;
    for (let line = d.line; line <= d.endLine && line < lineCount; line++) flagged[line] = 1;
  }
  return (line) => flagged[line] === 0;
}

/** Line-count changes before the model renumbers every line instead of replaying them. */
const MAX_SHIFTS = 256;

/**
 * The diagnostics of a batch file open in the editor, kept up to date from line changes alone.
 * Each line's own diagnostics are cached with it; file-level rules (duplicate ids, empty uploads,
 * size limits) are kept as counters and an id index updated from the changed lines only. Editing
 * the header (or anything above it) re-checks every row, since every row depends on it.
 */
export class BatchDocumentModel {
  private lines: LineState[] = [];
  private header: BatchHeader | undefined;
  /** Index of the header line; the line count when the file has none. */
  private headerLine = 0;
  private readonly ids = new Map<string, LineState | DuplicateGroup>();
  /**
   * The lines with something to report: their own diagnostics or a shared id. diagnostics()
   * walks these only, so listing costs in proportion to what is found, not to the file's size.
   */
  private readonly flagged = new Set<LineState>();
  /**
   * Edits that changed the line count since the last renumbering, as pairs: the last line they
   * replaced (numbered before the edit) and the change in line count. A line's current index is
   * its recorded one moved by every later shift whose replaced lines were above it.
   */
  private shifts: number[] = [];
  private rows = 0;
  private rowsWithValues = 0;
  private textBytes = 0;
  /** Uploads submit would make; computed on demand, forgotten on every change. */
  private uploads: number | undefined;
  private pass = 0;
  private readonly out: LineDiagnostic[] = [];
  private readonly facts = newRowFacts();

  /**
   * `cleanRows`, when given, names rows a full pass over this same text found nothing in (the first
   * pass of the batch engine): those are taken as they are, their id read without scanning the rest
   * of the row. The lines it does not name are scanned.
   */
  constructor(lineCount: number, lineAt: (line: number) => string, cleanRows?: (line: number) => boolean) {
    this.rebuild(lineCount, lineAt, cleanRows);
  }

  /**
   * Lines startLine..oldEndLine (inclusive, numbered before the change) were replaced by
   * newLineCount lines, readable through lineAt (numbered after the change).
   */
  applyChange(startLine: number, oldEndLine: number, newLineCount: number, lineAt: (line: number) => string): void {
    const oldCount = this.lines.length;
    const start = Math.min(Math.max(0, Math.floor(startLine)), oldCount);
    const end = Math.min(Math.max(start - 1, Math.floor(oldEndLine)), oldCount - 1);
    const removed = end - start + 1;
    const added = Math.max(0, Math.floor(newLineCount));
    this.uploads = undefined;
    if (this.header === undefined || start <= this.headerLine) {
      this.rebuild(oldCount - removed + added, lineAt);
      return;
    }
    for (let i = start; i <= end; i++) this.forget(this.lines[i]);
    if (added === removed) {
      for (let k = 0; k < added; k++) this.lines[start + k] = this.rowState(lineAt(start + k), start + k);
      return;
    }
    this.shifts.push(end, added - removed);
    const fresh: LineState[] = new Array(added);
    for (let k = 0; k < added; k++) fresh[k] = this.rowState(lineAt(start + k), start + k);
    // Spreading a very large paste into splice() would overflow the argument limit.
    if (added > 10_000) this.lines = this.lines.slice(0, start).concat(fresh, this.lines.slice(end + 1));
    else this.lines.splice(start, removed, ...fresh);
    if (this.shifts.length > 2 * MAX_SHIFTS) this.renumber();
  }

  /** Records every line's current index, forgetting the shifts (linear; once per MAX_SHIFTS edits). */
  private renumber(): void {
    const lines = this.lines;
    for (let i = 0; i < lines.length; i++) {
      lines[i].line = i;
      lines[i].epoch = 0;
    }
    this.shifts = [];
  }

  /** The current index of a line still in the document. */
  private lineOf(state: LineState): number {
    const shifts = this.shifts;
    let line = state.line;
    for (let k = state.epoch; k < shifts.length; k += 2) if (line > shifts[k]) line += shifts[k + 1];
    state.line = line;
    state.epoch = shifts.length;
    return line;
  }

  /** The same diagnostics as validateText on the whole text, in no particular order. */
  diagnostics(): BatchDiagnostic[] {
    const found: BatchDiagnostic[] = this.header ? [...this.header.diagnostics] : [];
    const pass = ++this.pass;
    const last = this.lines.length - 1;
    for (const state of this.flagged) {
      const i = this.lineOf(state);
      if (state.diagnostics !== undefined && !(i === last && state.empty)) {
        for (const d of state.diagnostics) found.push(lineDiagnostic(d, i));
      }
      const group = state.duplicates;
      if (group === undefined || group.pass === pass) continue;
      group.pass = pass;
      // Every row of the group but the first (by line) is reported against the first.
      let first: LineState | undefined;
      let firstLine = Infinity;
      for (const member of group.members) {
        const line = this.lineOf(member);
        if (line < firstLine) {
          first = member;
          firstLine = line;
        }
      }
      for (const member of group.members) {
        if (member !== first) {
          found.push(duplicateIdDiagnostic(member.line, member.idEnd, firstLine, (first as LineState).idEnd));
        }
      }
    }
    for (const d of fileDiagnostics(this.header, this.counts())) found.push(d);
    return found;
  }

  /** diagnostics() in validateText's order. */
  sortedDiagnostics(): BatchDiagnostic[] {
    return sortDiagnostics(this.diagnostics());
  }

  summary(): BatchSummary {
    return summaryOf(this.header, this.counts());
  }

  private counts(): FileCounts {
    const bytes = this.textBytes + Math.max(0, this.lines.length - 1);
    return { rows: this.rows, rowsWithValues: this.rowsWithValues, bytes, uploads: this.plannedUploads(bytes) };
  }

  private plannedUploads(bytes: number): number {
    if (this.uploads !== undefined) return this.uploads;
    const header = this.header;
    if (!header) return (this.uploads = 0);
    // Under both limits the planner never splits, so the linear replay is only needed for big files.
    if (bytes < MAX_UPLOAD_BYTES && this.rows <= MAX_UPLOAD_ROWS) return (this.uploads = 1);
    const last = this.lines.length - 1;
    const planner = new UploadPlanner(header.bytes + (this.headerLine < last ? 1 : 0));
    for (let i = this.headerLine + 1; i <= last; i++) {
      const state = this.lines[i];
      if (state.kind === LineKind.Row) planner.addRow(state.bytes + (i < last ? 1 : 0));
    }
    return (this.uploads = planner.finish().length);
  }

  private rebuild(lineCount: number, lineAt: (line: number) => string, cleanRows?: (line: number) => boolean): void {
    this.lines = [];
    this.ids.clear();
    this.flagged.clear();
    this.shifts = [];
    this.header = undefined;
    this.rows = 0;
    this.rowsWithValues = 0;
    this.textBytes = 0;
    this.uploads = undefined;
    let i = 0;
    for (; i < lineCount; i++) {
      const text = lineAt(i);
      if (!isLeadingBlankLine(text)) break;
      this.lines.push(this.plainState(LineKind.BeforeHeader, text.length, text, i));
    }
    this.headerLine = i;
    if (i === lineCount) return;
    const header = scanHeader(lineAt(i), i, i);
    this.header = header;
    this.lines.push(this.plainState(LineKind.Header, header.bytes, '', i));
    for (i++; i < lineCount; i++) {
      const text = lineAt(i);
      // An empty line has no id, so it is never a clean row (after a final LF it is no row at all).
      this.lines.push(text.length > 0 && cleanRows?.(i) ? this.cleanRowState(text, i) : this.rowState(text, i));
    }
  }

  private plainState(kind: LineKind, bytes: number, text: string, line: number): LineState {
    this.textBytes += bytes;
    return {
      kind,
      bytes,
      diagnostics: undefined,
      id: undefined,
      idEnd: 0,
      hasValues: false,
      empty: text.length === 0,
      duplicates: undefined,
      line,
      epoch: 0,
    };
  }

  /** Scans a line below the header and adds it to the file-level bookkeeping. */
  private rowState(text: string, line: number): LineState {
    const out = this.out;
    const facts = this.facts;
    out.length = 0;
    scanRow(text, this.header as BatchHeader, out, facts);
    const state: LineState = {
      kind: facts.blank ? LineKind.Blank : LineKind.Row,
      bytes: facts.bytes,
      diagnostics: out.length > 0 ? out.slice() : undefined,
      id: facts.id,
      idEnd: facts.idEnd,
      hasValues: facts.hasValues,
      empty: text.length === 0,
      duplicates: undefined,
      line,
      epoch: this.shifts.length,
    };
    if (state.diagnostics !== undefined) this.flagged.add(state);
    this.textBytes += state.bytes;
    if (state.kind !== LineKind.Row) return state;
    this.rows++;
    if (state.hasValues) this.rowsWithValues++;
    this.index(state);
    return state;
  }

  /** Adds a row's id to the id index, grouping it with the rows that have the same id. */
  private index(state: LineState): void {
    if (state.id === undefined) return;
    const entry = this.ids.get(state.id);
    if (entry === undefined) {
      this.ids.set(state.id, state);
    } else if (entry instanceof DuplicateGroup) {
      entry.members.add(state);
      state.duplicates = entry;
      this.flagged.add(state);
    } else {
      const group = new DuplicateGroup();
      group.members.add(entry).add(state);
      entry.duplicates = group;
      state.duplicates = group;
      this.ids.set(state.id, group);
      this.flagged.add(entry).add(state);
    }
  }

  /**
   * A row known to have nothing to report (see the constructor): printable ASCII (anything else is a
   * TP024), an id (TP011) that ends at the first comma, and values (TP026).
   */
  private cleanRowState(text: string, line: number): LineState {
    let idEnd = text.indexOf(',');
    if (idEnd === -1) idEnd = text.length;
    const state: LineState = {
      kind: LineKind.Row,
      bytes: text.length,
      diagnostics: undefined,
      id: decodeFormValue(text.slice(0, idEnd)),
      idEnd,
      hasValues: true,
      empty: false,
      duplicates: undefined,
      line,
      epoch: this.shifts.length,
    };
    this.textBytes += state.bytes;
    this.rows++;
    this.rowsWithValues++;
    this.index(state);
    return state;
  }

  /** Takes a line that is being replaced out of the file-level bookkeeping. */
  private forget(state: LineState): void {
    this.flagged.delete(state);
    this.textBytes -= state.bytes;
    if (state.kind !== LineKind.Row) return;
    this.rows--;
    if (state.hasValues) this.rowsWithValues--;
    if (state.id === undefined) return;
    const entry = this.ids.get(state.id);
    if (entry === state) {
      this.ids.delete(state.id);
    } else if (entry instanceof DuplicateGroup) {
      entry.members.delete(state);
      state.duplicates = undefined;
      if (entry.members.size === 1) {
        const [only] = entry.members;
        only.duplicates = undefined;
        if (only.diagnostics === undefined) this.flagged.delete(only);
        this.ids.set(state.id, only);
      }
    }
  }
}
