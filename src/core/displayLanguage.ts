import * as l10n from '@vscode/l10n';

/**
 * The language the core's messages are shown in. The core builds its messages with
 * `@vscode/l10n`, the same bundle format and lookup as `vscode.l10n`, so `npm run l10n:export`
 * finds them next to the editor's strings and one Spanish bundle serves both. The extension
 * hands the core its bundle at activation; the CLI never does, so its output stays English
 * (scripts parse it, see README.md, 'Command line').
 */
const ENGLISH = 'en-US';
let language = ENGLISH;
let languageBundle: Record<string, string> | undefined;
/**
 * Made on first use: building a NumberFormat loads ICU's locale data, which activation should not pay
 * for a count that may never be shown.
 */
let numbers: Intl.NumberFormat | undefined;

/** `bundle` is vscode.l10n.bundle: undefined when the display language is English. */
export function useDisplayLanguage(displayLanguage: string, bundle: Record<string, string> | undefined): void {
  l10n.config({ contents: bundle ?? {} });
  language = bundle ? displayLanguage : ENGLISH;
  languageBundle = bundle;
  numbers = undefined;
}

/** The language and bundle last given to useDisplayLanguage: a worker thread is handed them too. */
export function displayLanguage(): { displayLanguage: string; bundle: Record<string, string> | undefined } {
  return { displayLanguage: language, bundle: languageBundle };
}

/** A count with the display language's digit grouping: 1,048,576 in English, 1.048.576 in Spanish. */
export function count(n: number): string {
  if (!numbers) {
    try {
      numbers = new Intl.NumberFormat(language);
    } catch {
      // An unknown tag from the host: grouping digits the English way is still readable.
      numbers = new Intl.NumberFormat(ENGLISH);
    }
  }
  return numbers.format(n);
}
