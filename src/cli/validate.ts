import * as path from 'path';
import { BatchDiagnostic, validateFile } from '../core/batch/validator';
import { parseArgs } from './args';
import { CliCommand, ExitCode, UsageError } from './io';

/** A diagnostic with the 1-based positions compilers and CI annotations use. */
function oneBased(d: BatchDiagnostic) {
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

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `validate <file>... [--json]` (README.md, 'Command line'). */
export const runValidate: CliCommand = async (argv, io) => {
  const args = parseArgs(argv, { switches: ['json'] });
  if (args.positionals.length === 0) throw new UsageError('name at least one batch file');
  const json = args.switches.has('json');
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
    if (!json) {
      for (const d of diagnostics) io.stdout(`${file}:${d.line}:${d.column}: ${d.severity} ${d.code} ${d.message}\n`);
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
