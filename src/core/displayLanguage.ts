import * as l10n from '@vscode/l10n';

/**
 * The language the core's messages are shown in. The core builds its messages with
 * `@vscode/l10n`, the same bundle format and lookup as `vscode.l10n`, so `npm run l10n:export`
 * finds them next to the editor's strings and one Spanish bundle serves both. The extension
 * hands the core its bundle at activation; the CLI never does, so its output stays English
 * (scripts parse it, see shared/spec/cli.md).
 */
const ENGLISH = 'en-US';
let numbers = new Intl.NumberFormat(ENGLISH);

/** `bundle` is vscode.l10n.bundle: undefined when the display language is English. */
export function useDisplayLanguage(language: string, bundle: Record<string, string> | undefined): void {
  l10n.config({ contents: bundle ?? {} });
  try {
    numbers = new Intl.NumberFormat(bundle ? language : ENGLISH);
  } catch {
    // An unknown tag from the host: grouping digits the English way is still readable.
    numbers = new Intl.NumberFormat(ENGLISH);
  }
}

/** A count with the display language's digit grouping: 1,048,576 in English, 1.048.576 in Spanish. */
export function count(n: number): string {
  return numbers.format(n);
}
