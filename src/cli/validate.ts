import * as path from 'path';
import { BatchDiagnostic, validateFile } from '../core/batch/validator';
import { parseArgs } from './args';
import { CliCommand, ExitCode, UsageError } from './io';

/** A diagnostic with the 1-based positions compilers and CI annotations use. */
export function oneBased(d: BatchDiagnostic) {
  return {
    code: d.code,
    severity: d.severity,
    line: d.line + 1,
    column: d.column + 1,
    endLine: d.endLine + 1,
    endColumn: d.endColumn + 1,
    message: d.message,
  };
}

/** `--format`: compiler-style lines (text), or GitHub Actions workflow commands that annotate the files (github). */
export const VALIDATE_FORMATS = ['text', 'github'] as const;
type Format = (typeof VALIDATE_FORMATS)[number] | 'json';

/** Escapes a workflow command's message the way GitHub's toolkit does: `%`, CR and LF. */
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a workflow command's property value: as a message, plus the `:` and `,` that delimit properties. */
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

const GITHUB_COMMAND = { error: 'error', warning: 'warning', info: 'notice' } as const;

/** One diagnostic as a GitHub Actions workflow command, which the runner turns into an annotation on the file. */
export function githubAnnotation(file: string, d: ReturnType<typeof oneBased>): string {
  const properties = [
    `file=${escapeProperty(file)}`,
    `line=${d.line}`,
    `col=${d.column}`,
    `endLine=${d.endLine}`,
    `endColumn=${d.endColumn}`,
    `title=${escapeProperty(d.code)}`,
  ].join(',');
  return `::${GITHUB_COMMAND[d.severity]} ${properties}::${escapeData(d.message)}\n`;
}

/** The output format of --format and --json; asking for two different ones is a usage error. */
function outputFormat(formats: string[] | undefined, json: boolean): Format {
  const asked = [...new Set(formats ?? [])];
  for (const f of asked) {
    if (!(VALIDATE_FORMATS as readonly string[]).includes(f)) {
      throw new UsageError(`unknown format '${f}': use --format text or --format github (or --json)`);
    }
  }
  if (asked.length > 1) throw new UsageError(`give one format, not ${asked.map((f) => `'${f}'`).join(' and ')}`);
  if (json && asked.length > 0) throw new UsageError(`--json and --format ${asked[0]} ask for two different outputs`);
  return json ? 'json' : ((asked[0] as Format | undefined) ?? 'text');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `validate <file>... [--format text|github] [--json]` (README.md, 'Command line'). */
export const runValidate: CliCommand = async (argv, io) => {
  const args = parseArgs(argv, { json: { type: 'boolean' }, format: { type: 'string', multiple: true } });
  const format = outputFormat(args.values.format, args.values.json === true);
  if (args.positionals.length === 0) throw new UsageError('name at least one batch file');
  const json = format === 'json';
  const files: { path: string; bytes: number; rows: number; diagnostics: ReturnType<typeof oneBased>[] }[] = [];
  const totals = { error: 0, warning: 0, info: 0 };
  let unreadable = false;
  for (const file of args.positionals) {
    const onProgress =
      io.stderrIsTTY && !json
        ? (read: number, total: number) =>
            io.stderr(`\rvalidating ${file}: ${total > 0 ? Math.floor((read / total) * 100) : 100}%`)
        : undefined;
    let result;
    try {
      result = await validateFile(path.resolve(io.cwd, file), { signal: io.signal, onProgress });
    } catch (error) {
      if (io.signal.aborted) throw error;
      const reason =
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'no such file'
          : error instanceof Error
            ? error.message
            : String(error);
      io.stderr(`${file}: cannot read file: ${reason}\n`);
      unreadable = true;
      continue;
    } finally {
      if (onProgress) io.stderr('\r\x1b[K');
    }
    for (const d of result.diagnostics) totals[d.severity]++;
    const diagnostics = result.diagnostics.map(oneBased);
    files.push({ path: file, bytes: result.summary.bytes, rows: result.summary.rows, diagnostics });
    if (format === 'text') {
      for (const d of diagnostics) io.stdout(`${file}:${d.line}:${d.column}: ${d.severity} ${d.code} ${d.message}\n`);
    } else if (format === 'github') {
      for (const d of diagnostics) io.stdout(githubAnnotation(file, d));
    }
  }
  if (json) {
    io.stdout(JSON.stringify({ files }) + '\n');
  } else {
    const rows = files.reduce((n, f) => n + f.rows, 0);
    io.stdout(
      `${plural(files.length, 'file')} checked (${plural(rows, 'row')}): ${plural(totals.error, 'error')}, ${plural(totals.warning, 'warning')}, ${totals.info} info\n`,
    );
  }
  if (unreadable) return ExitCode.usage;
  return totals.error > 0 ? ExitCode.inputErrors : ExitCode.ok;
};
