import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { BATCH_LANGUAGE_ID, Commands, FIX_ALL_KIND } from '../../../src/contributions';
import { activateExtension, waitFor } from './helpers';

/** Batch files in the real editor: problems as you type, quick fixes, fix-all, validation from disk. */
function workspaceFile(name: string, content: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
  const file = path.join(folder, 'batch-tests', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return vscode.Uri.file(file);
}

function codes(uri: vscode.Uri): string[] {
  return vscode.languages
    .getDiagnostics(uri)
    .map((d) => (typeof d.code === 'object' ? String(d.code.value) : String(d.code)))
    .sort();
}

async function diagnosticsMatching(uri: vscode.Uri, predicate: (codes: string[]) => boolean): Promise<string[]> {
  const found = await waitFor(() => (predicate(codes(uri)) ? codes(uri) : undefined), 10_000);
  assert.ok(found, `diagnostics never matched; last seen: ${codes(uri).join(', ') || '(none)'}`);
  return found;
}

async function open(uri: vscode.Uri): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(document);
}

describe('batch files in the editor', () => {
  before(async () => {
    await activateExtension();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('recognises a batch file by its first line and shows one problem per occurrence', async () => {
    const uri = workspaceFile(
      'crm-export.txt',
      'batch=thirdPartyId,profile.tier,age\ncrm-1,gold&silver,34\ncrm-2,a&b,\ncrm-1,bronze,40\n',
    );
    const editor = await open(uri);
    assert.strictEqual(editor.document.languageId, BATCH_LANGUAGE_ID);
    const found = await diagnosticsMatching(
      uri,
      (c) => c.includes('TP004') && c.filter((x) => x === 'TP020').length === 2,
    );
    assert.ok(found.includes('TP014'), `duplicate id expected in ${found}`);
    const tp020 = vscode.languages.getDiagnostics(uri).filter((d) => (d.code as { value: string }).value === 'TP020');
    assert.deepStrictEqual(
      tp020.map((d) => [d.range.start.line, d.range.start.character]),
      [
        [1, 10],
        [2, 7],
      ],
    );
    const first = tp020[0];
    assert.strictEqual(first.severity, vscode.DiagnosticSeverity.Error);
    assert.match(String((first.code as { target: vscode.Uri }).target), /rules\.md#tp020$/);
    const duplicate = vscode.languages
      .getDiagnostics(uri)
      .find((d) => (d.code as { value: string }).value === 'TP014')!;
    assert.strictEqual(duplicate.relatedInformation?.[0]?.location.range.start.line, 1);
  });

  it('updates the problems of an edited line', async () => {
    const uri = workspaceFile('edit.batch', 'batch=pcId,age\n123,1%\n124,2\n');
    const editor = await open(uri);
    await diagnosticsMatching(uri, (c) => c.includes('TP021'));
    await editor.edit((b) => b.replace(new vscode.Range(1, 0, 1, 6), '123,15'));
    await diagnosticsMatching(uri, (c) => !c.includes('TP021'));
    await editor.edit((b) => b.insert(new vscode.Position(3, 0), '125,a&b\n'));
    const after = await diagnosticsMatching(uri, (c) => c.includes('TP020'));
    const tp020 = vscode.languages.getDiagnostics(uri).find((d) => (d.code as { value: string }).value === 'TP020')!;
    assert.strictEqual(tp020.range.start.line, 3, String(after));
  });

  it('applies a quick fix from the lightbulb', async () => {
    const uri = workspaceFile('quickfix.batch', 'batch=thirdPartyId,profile.age\ncrm-1,34\n');
    const editor = await open(uri);
    await diagnosticsMatching(uri, (c) => c.includes('TP004'));
    const diagnostic = vscode.languages
      .getDiagnostics(uri)
      .find((d) => (d.code as { value: string }).value === 'TP004')!;
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      diagnostic.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    const fix = actions.find(
      (a) => a.kind?.value === vscode.CodeActionKind.QuickFix.value && a.edit && /profile\./.test(a.title),
    );
    assert.ok(fix, `no TP004 fix among ${actions.map((a) => a.title).join(', ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit!));
    assert.strictEqual(editor.document.lineAt(0).text, 'batch=thirdPartyId,age');
    await diagnosticsMatching(uri, (c) => !c.includes('TP004'));
  });

  it('fixes every safe problem at once with source.fixAll.targetBatch', async () => {
    const uri = workspaceFile(
      'fixall.batch',
      'batch=thirdPartyId,profile.tier,note\ncrm-1, gold ,a&b\ncrm-2,silver,50%\n\ncrm-3,x+y,\n',
    );
    const editor = await open(uri);
    await diagnosticsMatching(uri, (c) => c.includes('TP020') && c.includes('TP021') && c.includes('TP027'));
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      new vscode.Range(0, 0, 0, 0),
      FIX_ALL_KIND,
    );
    const fixAll = actions.find((a) => a.kind?.value === FIX_ALL_KIND);
    assert.ok(
      fixAll?.edit,
      `no fix-all action among ${actions.map((a) => `${a.title} (${a.kind?.value})`).join(', ')}`,
    );
    assert.ok(await vscode.workspace.applyEdit(fixAll.edit));
    assert.strictEqual(
      editor.document.getText(),
      'batch=thirdPartyId,tier,note\ncrm-1,gold,a%26b\ncrm-2,silver,50%25\ncrm-3,x%2By,\n',
    );
    await diagnosticsMatching(
      uri,
      (c) => !c.some((x) => ['TP004', 'TP020', 'TP021', 'TP022', 'TP027', 'TP028'].includes(x)),
    );
  });

  it('offers "Fix all N problems" in the lightbulb of a problem, computing it only when resolved', async () => {
    const uri = workspaceFile('lightbulb.batch', 'batch=thirdPartyId,profile.tier\ncrm-1,a&b\n');
    await open(uri);
    await diagnosticsMatching(uri, (c) => c.includes('TP020'));
    const at = vscode.languages.getDiagnostics(uri).find((d) => (d.code as { value: string }).value === 'TP020')!.range;
    const isFixAll = (a: vscode.CodeAction) =>
      a.kind?.value === vscode.CodeActionKind.QuickFix.value && a.title === 'Fix all 2 problems in this file';
    const unresolved = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      at,
    );
    const offered = unresolved.find(isFixAll);
    assert.ok(offered, `no fix-all quick fix among ${unresolved.map((a) => a.title).join(', ')}`);
    assert.strictEqual(offered.edit, undefined);
    const resolved = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      at,
      undefined,
      10,
    );
    const fixAll = resolved.find(isFixAll);
    assert.ok(fixAll?.edit, 'resolving gives the fix-all edit');
    assert.ok(await vscode.workspace.applyEdit(fixAll.edit));
    assert.strictEqual(
      (await vscode.workspace.openTextDocument(uri)).getText(),
      'batch=thirdPartyId,tier\ncrm-1,a%26b\n',
    );
  });

  it('describes a header column on hover', async () => {
    const uri = workspaceFile('hover.batch', 'batch=pcId,loyalty%20tier,age\n1,gold,\n2,,40\n3,silver,41\n');
    await open(uri);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      uri,
      new vscode.Position(0, 14),
    );
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /loyalty tier/);
    assert.match(text, /2 rows set it, 1 leave it empty/);
  });

  it('validates a file that is not open, from disk', async () => {
    const uri = workspaceFile('not-open.batch', 'Batch=pcid,age\n1,2\n');
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString()));
    await vscode.commands.executeCommand(Commands.validateBatchFile, uri);
    const found = await diagnosticsMatching(uri, (c) => c.includes('TP001'));
    assert.ok(found.includes('TP002'), String(found));
  });

  it('caps the problems shown and lists them all on request', async () => {
    const config = vscode.workspace.getConfiguration('targetProfiles');
    await config.update('batch.maxDiagnostics', 3, vscode.ConfigurationTarget.Global);
    try {
      const rows = Array.from({ length: 10 }, (_, i) => `id${i},a&b`).join('\n');
      const uri = workspaceFile('capped.batch', `batch=thirdPartyId,x\n${rows}\n`);
      await open(uri);
      const found = await diagnosticsMatching(uri, (c) => c.includes('more'));
      assert.strictEqual(found.length, 4, String(found));
      const summary = vscode.languages.getDiagnostics(uri).find((d) => (d.code as { value: string }).value === 'more')!;
      assert.match(summary.message, /^7 more problems/);
      const listUri = await vscode.commands.executeCommand<vscode.Uri>(Commands.showAllBatchProblems, uri);
      const list = await vscode.workspace.openTextDocument(listUri);
      assert.strictEqual(
        list
          .getText()
          .split('\n')
          .filter((l) => / error TP020 /.test(l)).length,
        10,
      );
      assert.match(list.getText(), /capped\.batch:2:6: error TP020 /);
    } finally {
      await config.update('batch.maxDiagnostics', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
