import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { EXTENSION_ID, activateExtension, waitFor } from './helpers';

/**
 * The `$target-batch` problem matcher the extension contributes: a task running the command line's
 * `validate` puts its compiler-style lines into the Problems view. The extension also publishes
 * problems for open batch files; the files here are never opened, and the matcher's own `source`
 * tells its problems apart anyway.
 */
const MATCHER_SOURCE = 'target-profiles validate';

function problemsFromTask(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === MATCHER_SOURCE);
}

function summary(diagnostics: vscode.Diagnostic[]): string[] {
  const severity = (s: vscode.DiagnosticSeverity) => vscode.DiagnosticSeverity[s];
  return diagnostics
    .map((d) => `${String(d.code)} ${severity(d.severity)} ${d.range.start.line}:${d.range.start.character}`)
    .sort();
}

describe('the $target-batch problem matcher', () => {
  before(async () => {
    await activateExtension();
  });

  it('turns `validate` output of a task into problems, for relative and absolute paths', async function () {
    this.timeout(90_000);
    const folder = vscode.workspace.workspaceFolders![0];
    const dir = path.join(folder.uri.fsPath, 'matcher-tests');
    fs.mkdirSync(dir, { recursive: true });
    // Line 2: a raw & (TP020, error, column 4); line 3: a leading space (TP027, info); line 4: id 1 again (TP014, warning).
    const relative = path.join('matcher-tests', 'relative.batch');
    fs.writeFileSync(path.join(folder.uri.fsPath, relative), 'batch=pcId,a\n1,x&y\n2, z\n1,q\n');
    const absolute = path.join(dir, 'absolute.batch');
    fs.writeFileSync(absolute, 'batch=pcId,a\n7,ok\n8,a&b&c\n');
    const relativeUri = vscode.Uri.file(path.join(folder.uri.fsPath, relative));
    const absoluteUri = vscode.Uri.file(absolute);

    const cli = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist', 'cli.js');
    const task = new vscode.Task(
      { type: 'process' },
      folder,
      'validate batch files',
      'target-profiles tests',
      new vscode.ProcessExecution(process.execPath, [cli, 'validate', relative, absolute], {
        cwd: folder.uri.fsPath,
      }),
      ['$target-batch'],
    );
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Never };
    const ended = new Promise<number | undefined>((resolve) => {
      const listener = vscode.tasks.onDidEndTaskProcess((e) => {
        if (e.execution.task.name !== task.name) return;
        listener.dispose();
        resolve(e.exitCode);
      });
    });
    await vscode.tasks.executeTask(task);
    const exitCode = await Promise.race([
      ended,
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 60_000)),
    ]);
    assert.strictEqual(exitCode, 1, 'validate exits 1 when a file has errors');

    const expected = {
      relative: ['TP014 Warning 3:0', 'TP020 Error 1:3', 'TP027 Information 2:2'],
      absolute: ['TP020 Error 2:3', 'TP020 Error 2:5'],
    };
    const seen = await waitFor(() => {
      const found = {
        relative: summary(problemsFromTask(relativeUri)),
        absolute: summary(problemsFromTask(absoluteUri)),
      };
      return JSON.stringify(found) === JSON.stringify(expected) ? found : undefined;
    }, 15_000);
    assert.deepStrictEqual(
      seen ?? { relative: summary(problemsFromTask(relativeUri)), absolute: summary(problemsFromTask(absoluteUri)) },
      expected,
    );
    const [tp020] = problemsFromTask(relativeUri).filter((d) => d.code === 'TP020');
    assert.match(tp020.message, /&/);
    // The files were never opened: the extension published nothing of its own for them.
    assert.ok(vscode.workspace.textDocuments.every((d) => d.uri.fsPath !== relativeUri.fsPath));
  });
});
