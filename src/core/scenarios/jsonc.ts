/**
 * A small JSON-with-comments parser: `//` and `/* *\/` comments and trailing commas are allowed, as in
 * VS Code's own settings files. Unlike JSON.parse it keeps where every value starts and ends, so the
 * editor can put a CodeLens on a scenario step and a problem on the exact property.
 */

import * as l10n from '@vscode/l10n';

/** 0-based, like the editor's positions; `endLine`/`endColumn` point just after the value. */
export interface SourceRange {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export type JsonNode =
  | { kind: 'object'; start: number; end: number; properties: JsonProperty[] }
  | { kind: 'array'; start: number; end: number; items: JsonNode[] }
  | { kind: 'string'; start: number; end: number; value: string }
  | { kind: 'number'; start: number; end: number; value: number }
  | { kind: 'boolean'; start: number; end: number; value: boolean }
  | { kind: 'null'; start: number; end: number; value: null };

interface JsonProperty {
  key: string;
  keyStart: number;
  keyEnd: number;
  value: JsonNode;
}

export class JsoncSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'JsoncSyntaxError';
  }
}

/** Turns offsets into 0-based line/column pairs (lines end at \n; a \r before it is part of the line). */
export class LineMap {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  position(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.starts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low, column: offset - this.starts[low] };
  }

  range(start: number, end: number): SourceRange {
    const a = this.position(start);
    const b = this.position(end);
    return { line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
  }
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Parses one JSONC document; throws JsoncSyntaxError with the offset of the first problem. */
export function parseJsonc(text: string): JsonNode {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const fail = (message: string, at = pos): never => {
    throw new JsoncSyntaxError(message, at);
  };

  function skipTrivia(): void {
    for (;;) {
      const c = text[pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') pos++;
      else if (c === '/' && text[pos + 1] === '/') {
        while (pos < text.length && text[pos] !== '\n') pos++;
      } else if (c === '/' && text[pos + 1] === '*') {
        const close = text.indexOf('*/', pos + 2);
        if (close === -1) fail(l10n.t('Unterminated comment: "/*" has no closing "*/".'));
        pos = close + 2;
      } else return;
    }
  }

  const unterminatedObject = () => l10n.t('Unterminated object: "{" has no closing "}".');
  const unterminatedArray = () => l10n.t('Unterminated array: "[" has no closing "]".');

  function describe(at: number): string {
    return at >= text.length ? l10n.t('the end of the file') : `'${text[at]}'`;
  }

  function parseString(): JsonNode & { kind: 'string' } {
    const start = pos;
    pos++; // opening quote
    let value = '';
    for (;;) {
      if (pos >= text.length) fail(l10n.t('Unterminated string.'), start);
      const c = text[pos];
      if (c === '"') {
        pos++;
        return { kind: 'string', start, end: pos, value };
      }
      if (c === '\n' || c === '\r') fail(l10n.t('A string cannot span lines; close it with ".'));
      if (c === '\\') {
        const e = text[pos + 1];
        if (e === 'u') {
          const hex = text.slice(pos + 2, pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail(l10n.t('Invalid \\u escape: give four hex digits.'));
          value += String.fromCharCode(parseInt(hex, 16));
          pos += 6;
        } else if (e !== undefined && e in ESCAPES) {
          value += ESCAPES[e];
          pos += 2;
        } else fail(l10n.t("Invalid escape '\\{0}' in a string.", e ?? ''));
      } else {
        value += c;
        pos++;
      }
    }
  }

  function parseValue(): JsonNode {
    skipTrivia();
    const start = pos;
    const c = text[pos];
    if (c === '{') return parseObject();
    if (c === '[') return parseArray();
    if (c === '"') return parseString();
    const number = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(pos, pos + 400));
    if (number && (c === '-' || (c >= '0' && c <= '9'))) {
      pos += number[0].length;
      return { kind: 'number', start, end: pos, value: Number(number[0]) };
    }
    for (const [word, node] of [
      ['true', { kind: 'boolean', value: true }],
      ['false', { kind: 'boolean', value: false }],
      ['null', { kind: 'null', value: null }],
    ] as const) {
      if (text.startsWith(word, pos) && !/[\w$]/.test(text[pos + word.length] ?? '')) {
        pos += word.length;
        return { ...node, start, end: pos } as JsonNode;
      }
    }
    if (c === "'") return fail(l10n.t('Strings must use double quotes (").'));
    return fail(l10n.t('Expected a value but found {0}.', describe(pos)));
  }

  function parseObject(): JsonNode {
    const start = pos;
    pos++;
    const properties: JsonProperty[] = [];
    for (;;) {
      skipTrivia();
      if (text[pos] === '}') {
        pos++;
        return { kind: 'object', start, end: pos, properties };
      }
      if (text[pos] !== '"') {
        fail(
          pos >= text.length
            ? unterminatedObject()
            : l10n.t('Expected a property name in double quotes but found {0}.', describe(pos)),
        );
      }
      const key = parseString();
      skipTrivia();
      if (text[pos] !== ':') fail(l10n.t('Expected \':\' after the property name "{0}".', key.value));
      pos++;
      const value = parseValue();
      properties.push({ key: key.value, keyStart: key.start, keyEnd: key.end, value });
      skipTrivia();
      if (text[pos] === ',') pos++;
      else if (text[pos] !== '}') {
        fail(pos >= text.length ? unterminatedObject() : l10n.t("Expected ',' or '}' but found {0}.", describe(pos)));
      }
    }
  }

  function parseArray(): JsonNode {
    const start = pos;
    pos++;
    const items: JsonNode[] = [];
    for (;;) {
      skipTrivia();
      if (text[pos] === ']') {
        pos++;
        return { kind: 'array', start, end: pos, items };
      }
      if (pos >= text.length) fail(unterminatedArray());
      items.push(parseValue());
      skipTrivia();
      if (text[pos] === ',') pos++;
      else if (text[pos] !== ']') {
        fail(pos >= text.length ? unterminatedArray() : l10n.t("Expected ',' or ']' but found {0}.", describe(pos)));
      }
    }
  }

  const root = parseValue();
  skipTrivia();
  if (pos < text.length) fail(l10n.t('Unexpected {0} after the end of the document.', describe(pos)));
  return root;
}
