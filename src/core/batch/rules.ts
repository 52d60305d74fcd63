/**
 * The rule catalogue of docs/rules.md: stable codes, their severities and where each
 * is documented. Codes are never renumbered; new rules are added at the end.
 */
export type Severity = 'error' | 'warning' | 'info';

export type RuleCode =
  | 'TP001'
  | 'TP002'
  | 'TP003'
  | 'TP004'
  | 'TP005'
  | 'TP006'
  | 'TP007'
  | 'TP010'
  | 'TP011'
  | 'TP012'
  | 'TP013'
  | 'TP014'
  | 'TP020'
  | 'TP021'
  | 'TP022'
  | 'TP023'
  | 'TP024'
  | 'TP025'
  | 'TP026'
  | 'TP027'
  | 'TP028'
  | 'TP029'
  | 'TP030'
  | 'TP031'
  | 'TP032'
  | 'TP033'
  | 'TP040'
  | 'TP041';

export interface Rule {
  code: RuleCode;
  severity: Severity;
  title: string;
  /** The heading anchor of the rule's section in docs/rules.md. */
  anchor: string;
}

function rule(code: RuleCode, severity: Severity, title: string): Rule {
  return { code, severity, title, anchor: code.toLowerCase() };
}

export const rules: Readonly<Record<RuleCode, Rule>> = {
  TP001: rule('TP001', 'error', 'The file must start with batch='),
  TP002: rule('TP002', 'error', 'The id column must be pcId or thirdPartyId'),
  TP003: rule('TP003', 'warning', 'The header names no attribute'),
  TP004: rule('TP004', 'error', 'Attribute names are bare, without profile.'),
  TP005: rule('TP005', 'error', 'Empty attribute name'),
  TP006: rule('TP006', 'warning', 'Attribute named more than once'),
  TP007: rule('TP007', 'warning', 'Attribute name too long or with unusual characters'),
  TP010: rule('TP010', 'error', 'Row has more fields than the header'),
  TP011: rule('TP011', 'error', 'Row without an id'),
  TP012: rule('TP012', 'error', 'thirdPartyId contains + or /'),
  TP013: rule('TP013', 'warning', 'Id too long'),
  TP014: rule('TP014', 'warning', 'Id on more than one row'),
  TP020: rule('TP020', 'error', 'Raw & ends the upload'),
  TP021: rule('TP021', 'error', '% not followed by two hex digits'),
  TP022: rule('TP022', 'warning', 'Raw + arrives as a space'),
  TP023: rule('TP023', 'warning', 'CSV quoting is not part of the format'),
  TP024: rule('TP024', 'warning', 'Characters that must be percent-encoded'),
  TP025: rule('TP025', 'warning', 'Value longer than 256 characters'),
  TP026: rule('TP026', 'info', 'Row changes nothing'),
  TP027: rule('TP027', 'info', 'Spaces or tabs around a field'),
  TP028: rule('TP028', 'info', 'Blank line or CR line end'),
  TP029: rule('TP029', 'warning', 'Every row is empty: the upload is skipped'),
  TP030: rule('TP030', 'warning', 'File of 50 MB or more: submit splits it'),
  TP031: rule('TP031', 'warning', 'More than 500,000 rows: submit splits it'),
  TP032: rule('TP032', 'warning', 'Row carries more than 64 KB of attribute data'),
  TP033: rule('TP033', 'error', 'Line longer than 1 MiB or not valid UTF-8'),
  TP040: rule('TP040', 'info', 'v2 upload keyed on pcId'),
  TP041: rule('TP041', 'info', 'v1 never creates profiles'),
};

const RULES_DOCS_BASE = 'https://github.com/target-profiles/target-profiles-vscode/blob/main/docs/rules.md#';

/** Where the editor's `codeDescription.href` and the CLI point for a rule's explanation. */
export function ruleDocsUrl(code: RuleCode): string {
  return RULES_DOCS_BASE + rules[code].anchor;
}

/** 0-based lines, 0-based UTF-16 columns, end exclusive (VS Code's convention). */
export interface Range {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface BatchDiagnostic extends Range {
  code: RuleCode;
  severity: Severity;
  message: string;
  related?: (Range & { message: string })[];
}
