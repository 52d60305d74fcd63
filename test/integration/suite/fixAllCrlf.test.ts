import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { BATCH_LANGUAGE_ID, FIX_ALL_KIND } from '../../../src/contributions';
import { activateExtension, waitFor } from './helpers';

/**
 * Fix-all on files with CRLF line ends (as Excel and most Windows exports write them): the text
 * fixes and the switch to LF go in one edit, from the Source Action, on save, and from the quick fix
 * "Fix all N problems in this file" next to a single fix.
 */
const BROKEN = 'batch=thirdPartyId,profile.tier,note\r\ncrm-1, gold ,a&b\r\ncrm-2,silver,50%\r\n';
const FIXED = 'batch=thirdPartyId,tier,note\ncrm-1,gold,a%26b\ncrm-2,silver,50%25\n';

function workspaceFile(name: string, content: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
  const file = path.join(folder, 'batch-crlf-tests', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return vscode.Uri.file(file);
}

function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code);
}

async function openWithProblems(uri: vscode.Uri, wanted: string[]): Promise<vscode.TextEditor> {
  const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
  assert.strictEqual(editor.document.eol, vscode.EndOfLine.CRLF);
  const seen = await waitFor(() => {
    const codes = vscode.languages.getDiagnostics(uri).map(codeOf);
    return wanted.every((c) => codes.includes(c)) ? codes : undefined;
  });
  assert.ok(seen, `problems ${wanted.join(', ')} never appeared`);
  return editor;
}

describe('fix-all on CRLF batch files', () => {
  before(async () => {
    await activateExtension();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('fixes every safe problem and converts to LF in one edit (Source Action)', async () => {
    const uri = workspaceFile('source-action.batch', BROKEN);
    const editor = await openWithProblems(uri, ['TP004', 'TP020', 'TP021', 'TP027', 'TP028']);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      new vscode.Range(0, 0, 0, 0),
      FIX_ALL_KIND,
    );
    const fixAll = actions.find((a) => a.kind?.value === FIX_ALL_KIND);
    assert.ok(fixAll?.edit, `no fix-all among ${actions.map((a) => a.title).join(', ')}`);
    // Through the API the end-of-line change does not come back (the conversion keeps only text
    // edits), so this checks that no text edit is listed twice; the workbench applies the real one below.
    const ranges = fixAll.edit.get(uri).map((e) => `${e.range.start.line}:${e.range.start.character}`);
    assert.strictEqual(new Set(ranges).size, ranges.length, `an edit is listed twice: ${ranges.join(' ')}`);
    await vscode.commands.executeCommand('editor.action.sourceAction', { kind: FIX_ALL_KIND, apply: 'first' });
    const done = await waitFor(() => editor.document.getText() === FIXED);
    assert.ok(done, `not fixed: ${JSON.stringify(editor.document.getText())}`);
    assert.strictEqual(editor.document.eol, vscode.EndOfLine.LF);
  });

  it('fixes a CRLF file on save with editor.codeActionsOnSave', async () => {
    const editorConfig = vscode.workspace.getConfiguration('editor', { languageId: BATCH_LANGUAGE_ID });
    await editorConfig.update(
      'codeActionsOnSave',
      { [FIX_ALL_KIND]: 'always' },
      vscode.ConfigurationTarget.Global,
      true,
    );
    try {
      const uri = workspaceFile('on-save.batch', BROKEN);
      const editor = await openWithProblems(uri, ['TP020', 'TP028']);
      // A change makes the document dirty, so that saving it runs the save participants.
      await editor.edit((b) => b.insert(new vscode.Position(3, 0), 'crm-3,x+y,\r\n'));
      await waitFor(() => vscode.languages.getDiagnostics(uri).some((d) => codeOf(d) === 'TP022'));
      assert.ok(await editor.document.save(), 'saved');
      assert.strictEqual(editor.document.getText(), `${FIXED}crm-3,x%2By,\n`);
      assert.strictEqual(fs.readFileSync(uri.fsPath, 'utf8'), `${FIXED}crm-3,x%2By,\n`);
    } finally {
      await editorConfig.update('codeActionsOnSave', undefined, vscode.ConfigurationTarget.Global, true);
    }
  });

  it('offers "Fix all N problems in this file" among the quick fixes of one problem', async () => {
    const uri = workspaceFile('quickfix.batch', BROKEN);
    const editor = await openWithProblems(uri, ['TP020', 'TP028']);
    const tp020 = vscode.languages.getDiagnostics(uri).find((d) => codeOf(d) === 'TP020')!;
    const quickFixes = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      tp020.range,
      vscode.CodeActionKind.QuickFix.value,
      10,
    );
    const titles = quickFixes.map((a) => a.title);
    assert.ok(titles.includes('Encode & as %26'), `the single fix is offered: ${titles.join(', ')}`);
    // TP004, TP020, TP021, two TP027 and the CRLF line ends.
    const fixAll = quickFixes.find((a) => a.title === 'Fix all 6 problems in this file');
    assert.ok(fixAll, `no fix-all quick fix among ${titles.join(', ')}`);
    assert.strictEqual(fixAll.kind?.value, vscode.CodeActionKind.QuickFix.value);
    assert.ok(fixAll.edit, 'resolved to an edit');
    assert.ok(await vscode.workspace.applyEdit(fixAll.edit), 'the workbench accepts the edit');
    // The end-of-line change is lost on the way back through the API (see above): compare the text.
    assert.strictEqual(editor.document.getText().replace(/\r\n/g, '\n'), FIXED);
  });

  it('leaves the fix-all quick fix out when only one problem is fixable', async () => {
    const uri = workspaceFile('single.batch', 'batch=thirdPartyId,note\ncrm-1,a&b\n');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const tp020 = await waitFor(() => vscode.languages.getDiagnostics(uri).find((d) => codeOf(d) === 'TP020'));
    assert.ok(tp020);
    const quickFixes = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      tp020.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    assert.ok(quickFixes.some((a) => a.title === 'Encode & as %26'));
    assert.ok(!quickFixes.some((a) => /^Fix all/.test(a.title)), quickFixes.map((a) => a.title).join(', '));
  });
});
