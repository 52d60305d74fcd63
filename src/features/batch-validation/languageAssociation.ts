import * as vscode from 'vscode';
import { BATCH_LANGUAGE_ID, SETTINGS_SECTION, Settings } from '../../contributions';

/** The first line of a batch file, tolerating what TP001 flags (BOM, wrong case, leading spaces). */
const BATCH_FIRST_LINE = /^\uFEFF?\s*batch=/i;

/**
 * Opens files matching `targetProfiles.batch.filePatterns` as batch files, matched by VS Code's own
 * glob matcher. package.json's `firstLine` only applies to files no extension claims, so exports
 * named `.txt` or `.csv` whose first line starts with `batch=` are taken over here too.
 */
export function registerLanguageAssociation(): vscode.Disposable {
  const apply = (document: vscode.TextDocument) => {
    if (document.languageId === BATCH_LANGUAGE_ID || document.uri.scheme === 'output' || document.isClosed) return;
    const patterns = vscode.workspace
      .getConfiguration(SETTINGS_SECTION, document)
      .get<string[]>(Settings.batchFilePatterns, []);
    // Only plain-text-like documents are taken over; a user's explicit language choice stays.
    if (!['plaintext', 'csv'].includes(document.languageId)) return;
    const byName = patterns.some(
      (p) => vscode.languages.match({ pattern: p.includes('/') ? p : `**/${p}` }, document) > 0,
    );
    if (byName || (document.lineCount > 0 && BATCH_FIRST_LINE.test(document.lineAt(0).text))) {
      void vscode.languages.setTextDocumentLanguage(document, BATCH_LANGUAGE_ID);
    }
  };
  vscode.workspace.textDocuments.forEach(apply);
  return vscode.Disposable.from(
    vscode.workspace.onDidOpenTextDocument(apply),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SETTINGS_SECTION}.${Settings.batchFilePatterns}`)) {
        vscode.workspace.textDocuments.forEach(apply);
      }
    }),
  );
}
