import * as vscode from 'vscode';
import type { BatchDiagnostic, Range } from '../core/batch/validator';
import { ruleDocsUrl, rules, type RuleCode, type Severity } from '../core/batch/rules';

/** Conversions between the core's plain positions and VS Code's types. */
export const DIAGNOSTIC_SOURCE = 'Target Profiles';

const severities: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

export function toRange(r: Range): vscode.Range {
  return new vscode.Range(r.line, r.column, r.endLine, r.endColumn);
}

export function toDiagnostic(uri: vscode.Uri, d: BatchDiagnostic): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(toRange(d), d.message, severities[d.severity]);
  diagnostic.source = DIAGNOSTIC_SOURCE;
  diagnostic.code = { value: d.code, target: vscode.Uri.parse(ruleDocsUrl(d.code)) };
  if (d.related?.length) {
    diagnostic.relatedInformation = d.related.map(
      (r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, toRange(r)), r.message),
    );
  }
  return diagnostic;
}

/** The rule code of one of our diagnostics, or undefined for anyone else's. */
export function ruleCodeOf(diagnostic: vscode.Diagnostic): RuleCode | undefined {
  if (diagnostic.source !== DIAGNOSTIC_SOURCE) return undefined;
  const value = typeof diagnostic.code === 'object' ? diagnostic.code.value : diagnostic.code;
  return typeof value === 'string' && value in rules ? (value as RuleCode) : undefined;
}

/** Back to the core's shape, so that the core computes the fix for what the user sees. */
export function fromDiagnostic(diagnostic: vscode.Diagnostic, code: RuleCode): BatchDiagnostic {
  const { start, end } = diagnostic.range;
  return {
    code,
    severity: rules[code].severity,
    message: diagnostic.message,
    line: start.line,
    column: start.character,
    endLine: end.line,
    endColumn: end.character,
  };
}

/** `path:line:column: severity CODE message`, 1-based: the CLI's format, so both lists read alike. */
export function cliLine(path: string, d: BatchDiagnostic): string {
  return `${path}:${d.line + 1}:${d.column + 1}: ${d.severity} ${d.code} ${d.message}`;
}
