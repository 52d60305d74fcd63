import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { oneBased } from '../../../src/cli/validate';
import { Commands } from '../../../src/contributions';
import type { ExtensionApi } from '../../../src/extension';
import { activateExtension, waitFor } from './helpers';

/**
 * A 500,000-line batch document in the editor: its problems are computed off the extension host's
 * thread, so the extension keeps answering meanwhile, and they are those the command line reports
 * for the same bytes, also when the document is edited while they are computed.
 */
const ROWS = 500_000;

/** 500,000 rows (about 14 MB) with a few problems spread through: raw &, a duplicate id, a blank line. */
function largeBatch(): string {
  const parts = ['batch=thirdPartyId,visits,tier\n'];
  for (let i = 0; i < ROWS; i++) {
    if (i % 100_000 === 50_000) parts.push(`crm-${i},3,gold&silver\n`);
    else if (i === 400_000) parts.push('crm-7,1,bronze\n');
    else if (i === 250_001) parts.push('\n');
    else parts.push(`crm-${i},${i % 97},gold\n`);
  }
  return parts.join('');
}

function workspaceFile(name: string, content: string): string {
  const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
  const file = path.join(folder, 'large-batch-tests', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

/** What `target-profiles validate --json` reports for a file, as the CLI runs in a terminal or CI. */
function cliProblems(file: string): ReturnType<typeof oneBased>[] {
  const cli = path.join(__dirname, '..', '..', 'cli.js');
  const run = spawnSync(process.execPath, [cli, 'validate', '--json', file], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  assert.ok(run.stdout, `the CLI printed nothing: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { files: { diagnostics: ReturnType<typeof oneBased>[] }[] }).files[0].diagnostics;
}

/**
 * Asks another command of the extension every 25 ms until `done` settles and `afterMs` more (the
 * incremental model of the document is built after its problems are known), and returns the longest
 * wait from when a command was due to its answer: a thread held busy delays both the timer that
 * issues it and the answer, as it would delay a command the user runs then.
 */
async function longestAnswerWhile(
  done: Promise<unknown>,
  afterMs: number,
): Promise<{ longest: number; asked: number }> {
  let finished = false;
  void done.finally(() => setTimeout(() => (finished = true), afterMs));
  let longest = 0;
  let asked = 0;
  let due = performance.now();
  while (!finished) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
    await vscode.commands.executeCommand(Commands.showOutput);
    const now = performance.now();
    longest = Math.max(longest, now - due);
    asked++;
    due = now + 25;
  }
  return { longest, asked };
}

describe('a 500,000-line batch document', function () {
  this.timeout(180_000);
  let api: ExtensionApi;

  before(async () => {
    api = await activateExtension();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('keeps the extension answering while its problems are computed, and they equal the CLI validate --json', async () => {
    const file = workspaceFile('half-a-million.batch', largeBatch());
    const document = await vscode.workspace.openTextDocument(file);
    assert.strictEqual(document.lineCount, ROWS + 2);
    const problems = api.services.batchProblems.currentEntry(document, 120_000);
    const [{ longest, asked }, entry] = await Promise.all([longestAnswerWhile(problems, 6000), problems]);
    assert.ok(entry, 'no problems came for the document');
    assert.ok(asked > 0);
    assert.ok(longest < 200, `a command took ${longest.toFixed(0)} ms to answer while the problems were computed`);
    assert.deepStrictEqual(entry.diagnostics.map(oneBased), cliProblems(file));
    assert.strictEqual(entry.summary.rows, ROWS - 1);
    const codes = new Set(entry.diagnostics.map((d) => d.code));
    assert.deepStrictEqual([...codes].sort(), ['TP014', 'TP020', 'TP028']);
    // And the Problems panel shows them.
    const shown = await waitFor(() => vscode.languages.getDiagnostics(document.uri).length > 0 || undefined, 30_000);
    assert.ok(shown, 'the Problems panel never showed the problems');
  });

  it('stays correct when the document is edited while its problems are computed', async () => {
    const file = workspaceFile('edited-while-checked.batch', largeBatch());
    const document = await vscode.workspace.openTextDocument(file);
    const editor = await vscode.window.showTextDocument(document);
    // At once, during the first pass: a raw & near the top and a new duplicate near the end.
    await editor.edit((edit) => {
      edit.insert(new vscode.Position(3, document.lineAt(3).text.length), '&x');
      edit.insert(new vscode.Position(ROWS - 10, 0), 'crm-12,5,gold\n');
    });
    const entry = await api.services.batchProblems.currentEntry(document, 120_000);
    assert.ok(entry, 'no problems came for the edited document');
    const edited = workspaceFile('edited-while-checked.copy.batch', document.getText());
    assert.deepStrictEqual(entry.diagnostics.map(oneBased), cliProblems(edited));
    assert.ok(entry.diagnostics.some((d) => d.code === 'TP020' && d.line === 3));
    assert.ok(entry.diagnostics.some((d) => d.code === 'TP014' && d.line === ROWS - 10));
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('stops checking a document that stops being a batch file before its problems came, and shows none for it', async () => {
    const file = workspaceFile('no-longer-batch.batch', largeBatch());
    const document = await vscode.workspace.openTextDocument(file);
    // A language change closes the document for extensions and opens it again as Markdown (plain text would be taken back: its first line is batch=).
    const closed = new Promise<void>((resolve) => {
      const listener = vscode.workspace.onDidCloseTextDocument((d) => {
        if (d.uri.toString() !== document.uri.toString()) return;
        listener.dispose();
        resolve();
      });
    });
    await vscode.languages.setTextDocumentLanguage(document, 'markdown');
    await closed;
    assert.strictEqual(await api.services.batchProblems.currentEntry(document, 0), undefined);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.deepStrictEqual(vscode.languages.getDiagnostics(document.uri), []);
  });
});
