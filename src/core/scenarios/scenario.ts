/**
 * QA scenarios: a `*.targetprofile.json(c)` file that puts test visitors into declared profile states
 * and checks them. This module reads and checks the file against the same rules as
 * schemas/targetprofile.schema.json; the runner (runner.ts) executes it.
 */
import * as l10n from '@vscode/l10n';
import { count } from '../displayLanguage';
import { MAX_MBOXES } from '../delivery/request';
import { createScanner, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';

/** 0-based, like the editor's positions; `endLine`/`endColumn` point just after the value. */
export interface SourceRange {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** The step types, in the order the schema lists them (a unit test keeps the two in step). */
export const STEP_TYPES = ['update', 'wait', 'verify', 'batch', 'preview'] as const;
export type StepType = (typeof STEP_TYPES)[number];

export type UpdateIdType = 'pcId' | 'thirdPartyId';
export type LookupIdType = UpdateIdType | 'marketingCloudVisitorId';

/** Scenario files are recognised by name: `*.targetprofile.json` or `*.targetprofile.jsonc`. */
export const SCENARIO_FILE_PATTERN = /\.targetprofile\.jsonc?$/i;
export const SCENARIO_GLOB = '**/*.targetprofile.{json,jsonc}';

const DEFAULT_VERIFY_WITHIN_SECONDS = 30;
/** Target may take a while to apply an update to what it serves; the emulator applies it at once. */
const DEFAULT_PREVIEW_WITHIN_SECONDS = 30;

/**
 * What a preview step expects of one mbox. Names are compared whole, content by substring; `nothingServed`
 * expects the mbox to come back empty and takes no other expectation.
 */
export interface MboxExpectation {
  activity?: string;
  experience?: string;
  offer?: string;
  contentContains?: string;
  nothingServed?: true;
}

const MBOX_EXPECTATIONS = ['activity', 'experience', 'offer', 'contentContains', 'nothingServed'] as const;

interface StepCommon {
  /** 0-based position in `steps`. */
  index: number;
  name?: string;
  /** Where the step's object is in the file. */
  range: SourceRange;
}

export type ScenarioStep = StepCommon &
  (
    | { type: 'update'; idType: UpdateIdType; id: string; attributes: Record<string, string> }
    | { type: 'wait'; seconds: number }
    | { type: 'verify'; idType: LookupIdType; id: string; expect: Record<string, string>; within: number }
    | { type: 'batch'; file: string; apiVersion?: 'v1' | 'v2'; wait: boolean }
    | {
        type: 'preview';
        idType: LookupIdType;
        id: string;
        /** Per mbox name, in the file's order (the order the mboxes are asked for). */
        expect: Record<string, MboxExpectation>;
        within: number;
        /** The page the visitor is on, sent as the Delivery API's `context.address.url`. */
        url?: string;
        /**
         * The name of a property token stored for the connection (a Target Premium workspace): the editor
         * sends that token; the command line sends TARGET_PROPERTY_TOKEN.
         */
        property?: string;
      }
  );

export interface Scenario {
  /** A connection name in the editor; absent means the active connection. Ignored by the command line. */
  connection?: string;
  steps: ScenarioStep[];
}

interface ScenarioProblem {
  message: string;
  range: SourceRange;
}

/** Where a step object sits, even when the step is invalid (the editor still places its CodeLens). */
interface StepLocation {
  index: number;
  type?: string;
  name?: string;
  range: SourceRange;
}

export interface ParsedScenario {
  /** Present only when there are no problems. */
  scenario?: Scenario;
  problems: ScenarioProblem[];
  steps: StepLocation[];
}

const TOP_LEVEL = ['$schema', 'connection', 'steps'];
/** What each step type takes besides `type` and `name` (the schema's step objects list the same; a unit test checks). */
export const STEP_PROPERTIES: Record<StepType, { required: string[]; optional: string[] }> = {
  update: { required: ['idType', 'id', 'attributes'], optional: [] },
  wait: { required: ['seconds'], optional: [] },
  verify: { required: ['idType', 'id', 'expect'], optional: ['within'] },
  batch: { required: ['file'], optional: ['apiVersion', 'wait'] },
  preview: { required: ['idType', 'id', 'expect'], optional: ['within', 'url', 'property'] },
};

/** A default label for a step: its name, or what it does. */
export function stepLabel(step: ScenarioStep): string {
  if (step.name) return step.name;
  switch (step.type) {
    case 'update':
      return l10n.t('update {0} {1}', step.idType, step.id);
    case 'wait':
      return l10n.t('wait {0} s', count(step.seconds));
    case 'verify':
      return l10n.t('verify {0} {1}', step.idType, step.id);
    case 'batch':
      return l10n.t('batch {0}', step.file);
    case 'preview':
      return l10n.t('preview {0} {1}', step.idType, step.id);
  }
}

/** Turns offsets into 0-based line/column pairs (lines end at \n; a \r before it is part of the line). */
class LineMap {
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

/** The scanner's end-of-file token (jsonc-parser's SyntaxKind.EOF, a const enum that bundling cannot inline). */
const EOF = 17;

/** Comments and trailing commas are allowed, as in VS Code's own settings files. */
const JSONC_OPTIONS = { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false };

/** Where a node or a part of it is, as offsets into the text. */
type Extent = Pick<Node, 'offset' | 'length'>;

/** The first character of an object: where a problem about a missing property goes. */
function opening(node: Node): Extent {
  return { offset: node.offset, length: 1 };
}

/** A string node's value; undefined for any other node. */
function stringOf(node: Node | undefined): string | undefined {
  return node?.type === 'string' ? (node.value as string) : undefined;
}

interface JsonProperty {
  key: string;
  keyNode: Node;
  value: Node;
}

/** An object node's properties; jsonc-parser gives each as a `property` node holding its key and value. */
function propertiesOf(node: Node): JsonProperty[] {
  return (node.children ?? []).map((p) => ({
    key: p.children![0].value as string,
    keyNode: p.children![0],
    value: p.children![1],
  }));
}

/** The innermost object or array that `offset` is inside of (an unclosed one reaches to where parsing stopped). */
function containerAt(text: string, root: Node | undefined, offset: number): Node | undefined {
  let found: Node | undefined;
  for (let node = root; node;) {
    if (node.type === 'object' || node.type === 'array') found = node;
    node = node.children?.find((c) => {
      const end = c.offset + c.length;
      if (c.type !== 'object' && c.type !== 'array') return c.offset <= offset && offset <= end;
      const closed = text[end - 1] === (c.type === 'array' ? ']' : '}');
      return c.offset < offset && (offset < end || (!closed && offset === end));
    });
  }
  return found;
}

/** The last two tokens (comments and white space aside) before `offset`: their text, and a string's value. */
function tokensBefore(text: string, offset: number): { text: string; value: string }[] {
  const scanner = createScanner(text, true);
  const tokens: { text: string; value: string }[] = [];
  while (scanner.scan() !== EOF && scanner.getTokenOffset() < offset) {
    const start = scanner.getTokenOffset();
    tokens.push({ text: text.slice(start, start + scanner.getTokenLength()), value: scanner.getTokenValue() });
    if (tokens.length > 2) tokens.shift();
  }
  return tokens;
}

/** The first escape in the string token at `at` that is not one of JSON's (valid ones are consumed whole). */
function invalidEscape(text: string, at: number, length: number): { message: string; at: number } | undefined {
  const escapes = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})|(\\(.?))/g;
  const token = text.slice(at, at + length);
  for (let m = escapes.exec(token); m; m = escapes.exec(token)) {
    if (m[1] === undefined) continue;
    return m[2] === 'u'
      ? { message: l10n.t('Invalid \\u escape: give four hex digits.'), at: at + m.index }
      : { message: l10n.t("Invalid escape '\\{0}' in a string.", m[2]), at: at + m.index };
  }
  return undefined;
}

/** Errors the scanner finds inside one token (a string, a number, a comment); the others are about structure. */
const TOKEN_ERRORS = new Set([
  'UnexpectedEndOfComment',
  'UnexpectedEndOfString',
  'UnexpectedEndOfNumber',
  'InvalidUnicode',
  'InvalidEscapeCharacter',
  'InvalidCharacter',
]);

/**
 * The error to report, the first in the text. A token in the wrong place (a string where ':' belongs) is
 * reported as misplaced before anything about its content. A raw control character such as a tab inside
 * a string is kept as typed, unless the same string also has a bad escape (the scanner keeps one error per token).
 */
function firstSyntaxError(text: string, errors: ParseError[]): ParseError | undefined {
  const sorted = [...errors].sort((a, b) => a.offset - b.offset);
  for (const error of sorted) {
    const code = printParseErrorCode(error.error);
    if (!TOKEN_ERRORS.has(code)) return error;
    const misplaced = sorted.find((e) => e.offset === error.offset && !TOKEN_ERRORS.has(printParseErrorCode(e.error)));
    if (misplaced) return misplaced;
    if (code !== 'InvalidCharacter' || invalidEscape(text, error.offset, error.length)) return error;
  }
  return undefined;
}

/**
 * The first syntax error in the scenario's own words, at the offset it names. jsonc-parser reports codes
 * and keeps parsing; the message says what was expected there and what was found instead.
 */
function syntaxProblem(text: string, first: ParseError, root: Node | undefined): { message: string; at: number } {
  const at = first.offset;
  const found = (offset: number) => (offset >= text.length ? l10n.t('the end of the file') : `'${text[offset]}'`);
  const separator = (offset: number) =>
    containerAt(text, root, offset)?.type === 'array'
      ? l10n.t("Expected ',' or ']' but found {0}.", found(offset))
      : l10n.t("Expected ',' or '}' but found {0}.", found(offset));
  const afterTheEnd = (offset: number) => l10n.t('Unexpected {0} after the end of the document.', found(offset));
  const propertyName = () => l10n.t('Expected a property name in double quotes but found {0}.', found(at));
  const unterminatedObject = () => l10n.t('Unterminated object: "{" has no closing "}".');
  const unterminatedArray = () => l10n.t('Unterminated array: "[" has no closing "]".');
  const pastRoot = (offset: number) =>
    root !== undefined && offset >= root.offset + root.length && offset < text.length;
  // What the token before the error leaves to come: a value, a property name, or a separator.
  const expectedHere = (): string => {
    if (pastRoot(at)) return afterTheEnd(at);
    const [before, last] = tokensBefore(text, at);
    const previous = (last ?? before)?.text;
    const inArray = containerAt(text, root, at)?.type === 'array';
    // A property name, then something other than ':'.
    if (!inArray && last?.text.startsWith('"') && (before?.text === '{' || before?.text === ',')) {
      return l10n.t('Expected \':\' after the property name "{0}".', last.value);
    }
    if (previous === undefined || previous === ':' || previous === '[' || (previous === ',' && inArray)) {
      return text[at] === "'"
        ? l10n.t('Strings must use double quotes (").')
        : l10n.t('Expected a value but found {0}.', found(at));
    }
    if (previous === '{' || previous === ',') return propertyName();
    return separator(at);
  };
  switch (printParseErrorCode(first.error)) {
    case 'UnexpectedEndOfComment':
      return { message: l10n.t('Unterminated comment: "/*" has no closing "*/".'), at };
    case 'UnexpectedEndOfString': {
      const end = at + first.length;
      const escape = invalidEscape(text, at, first.length);
      if (escape) return escape;
      if (text[end] === '\n' || text[end] === '\r') {
        return { message: l10n.t('A string cannot span lines; close it with ".'), at: end };
      }
      return { message: l10n.t('Unterminated string.'), at };
    }
    case 'InvalidUnicode':
    case 'InvalidEscapeCharacter':
    case 'InvalidCharacter':
      return invalidEscape(text, at, first.length) ?? { message: l10n.t('Unterminated string.'), at };
    case 'InvalidSymbol':
    case 'ValueExpected':
      return { message: expectedHere(), at };
    case 'EndOfFileExpected':
      return { message: afterTheEnd(at), at };
    case 'PropertyNameExpected':
      return { message: at >= text.length ? unterminatedObject() : propertyName(), at };
    case 'ColonExpected': {
      const key = tokensBefore(text, at).pop()?.value ?? '';
      return { message: l10n.t('Expected \':\' after the property name "{0}".', key), at };
    }
    case 'CommaExpected':
      return { message: separator(at), at };
    case 'CloseBraceExpected':
      return { message: at >= text.length ? unterminatedObject() : separator(at), at };
    case 'CloseBracketExpected':
      return { message: at >= text.length ? unterminatedArray() : separator(at), at };
    case 'InvalidNumberFormat':
    case 'UnexpectedEndOfNumber': {
      // A number such as `1.` or `1e`: its valid part is a number, what follows is out of place.
      const valid = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(at, at + first.length))?.[0] ?? '';
      if (valid === '') return { message: l10n.t('Expected a value but found {0}.', found(at)), at };
      const after = at + valid.length;
      return {
        message: pastRoot(after) || !containerAt(text, root, after) ? afterTheEnd(after) : separator(after),
        at: after,
      };
    }
    default:
      return { message: l10n.t('Expected a value but found {0}.', found(at)), at };
  }
}

function describeKind(node: Node): string {
  switch (node.type) {
    case 'object':
      return l10n.t('an object');
    case 'array':
      return l10n.t('an array');
    case 'null':
      return 'null';
    case 'string':
      return l10n.t('a string');
    case 'number':
      return l10n.t('a number');
    case 'boolean':
      return l10n.t('a boolean');
    case 'property':
      return l10n.t('an object');
  }
}

/** Reads and checks a scenario file's text. Every problem is reported, each with its range. */
export function parseScenario(text: string): ParsedScenario {
  const lines = new LineMap(text);
  const problems: ScenarioProblem[] = [];
  const steps: StepLocation[] = [];
  const errors: ParseError[] = [];
  // A byte order mark is no content; a space in its place keeps every offset.
  const root = parseTree(text.charCodeAt(0) === 0xfeff ? ' ' + text.slice(1) : text, errors, JSONC_OPTIONS);
  const syntax = firstSyntaxError(text, errors);
  if (syntax || !root) {
    const { message, at: offset } = syntax
      ? syntaxProblem(text, syntax, root)
      : { message: l10n.t('Expected a value but found {0}.', l10n.t('the end of the file')), at: text.length };
    const at = Math.min(offset, text.length);
    return { problems: [{ message, range: lines.range(at, Math.min(at + 1, text.length)) }], steps };
  }
  const problem = (at: Extent, message: string) =>
    problems.push({ message, range: lines.range(at.offset, at.offset + at.length) });
  if (root.type !== 'object') {
    problem(root, l10n.t('A scenario is an object with "steps"; this is {0}.', describeKind(root)));
    return { problems, steps };
  }

  let connection: string | undefined;
  let stepsNode: Node | undefined;
  for (const p of propertiesOf(root)) {
    const key = p.keyNode;
    if (!TOP_LEVEL.includes(p.key)) {
      problem(key, l10n.t('Unknown property "{0}"; a scenario has "connection" and "steps".', p.key));
    } else if (p.key === 'connection') {
      if (p.value.type !== 'string' || (p.value.value as string).trim() === '') {
        problem(p.value, l10n.t('"connection" must be a connection name (a non-empty string).'));
      } else connection = p.value.value;
    } else if (p.key === 'steps') stepsNode = p.value;
  }
  const parsedSteps: ScenarioStep[] = [];
  if (!stepsNode) problem(opening(root), l10n.t('The scenario has no "steps".'));
  else if (stepsNode.type !== 'array') {
    problem(stepsNode, l10n.t('"steps" must be an array of steps; this is {0}.', describeKind(stepsNode)));
  } else {
    const items = stepsNode.children ?? [];
    if (items.length === 0) problem(stepsNode, l10n.t('"steps" is empty; add at least one step.'));
    for (const [index, node] of items.entries()) {
      const step = readStep(node, index, lines, problems, steps);
      if (step) parsedSteps.push(step);
    }
  }
  if (problems.length > 0) return { problems, steps };
  return { scenario: { ...(connection === undefined ? {} : { connection }), steps: parsedSteps }, problems, steps };
}

function readStep(
  node: Node,
  index: number,
  lines: LineMap,
  problems: ScenarioProblem[],
  locations: StepLocation[],
): ScenarioStep | undefined {
  const where = `steps[${index}]`;
  const range = lines.range(node.offset, node.offset + node.length);
  const problem = (at: Extent, message: string) =>
    problems.push({ message, range: lines.range(at.offset, at.offset + at.length) });
  if (node.type !== 'object') {
    problem(node, l10n.t('{0} must be an object with a "type"; this is {1}.', where, describeKind(node)));
    return undefined;
  }
  const properties = propertiesOf(node);
  const props = new Map(properties.map((p) => [p.key, p]));
  const typeNode = props.get('type')?.value;
  const nameNode = props.get('name')?.value;
  const location: StepLocation = { index, range };
  locations.push(location);
  if (nameNode) {
    const name = stringOf(nameNode);
    if (name !== undefined && name.trim() !== '') location.name = name;
    else problem(nameNode, l10n.t('{0}.name must be a non-empty string.', where));
  }
  if (!typeNode) {
    problem(
      opening(node),
      l10n.t('{0} has no "type"; give one of {1}.', where, STEP_TYPES.map((t) => `"${t}"`).join(', ')),
    );
    return undefined;
  }
  if (typeNode.type !== 'string' || !(STEP_TYPES as readonly string[]).includes(typeNode.value as string)) {
    problem(typeNode, l10n.t('{0}.type must be one of {1}.', where, STEP_TYPES.map((t) => `"${t}"`).join(', ')));
    return undefined;
  }
  const type = typeNode.value as StepType;
  location.type = type;
  const before = problems.length;
  const allowed = STEP_PROPERTIES[type];
  for (const p of properties) {
    if (p.key === 'type' || p.key === 'name' || allowed.required.includes(p.key) || allowed.optional.includes(p.key)) {
      continue;
    }
    const known = [...allowed.required, ...allowed.optional, 'name'].map((k) => `"${k}"`).join(', ');
    problem(p.keyNode, l10n.t('{0}: a {1} step has no property "{2}" (it takes {3}).', where, type, p.key, known));
  }
  for (const key of allowed.required) {
    if (!props.has(key)) {
      problem(opening(node), l10n.t('{0}: a {1} step needs "{2}".', where, type, key));
    }
  }
  const get = (key: string) => props.get(key)?.value;
  const common = { index, range, ...(location.name === undefined ? {} : { name: location.name }) };

  // The id types a step takes, and the message for any other: whole sentences, so that "or" is translated with them.
  const idOf = (idTypes: readonly string[], invalidIdType: () => string): { idType?: string; id?: string } => {
    const idTypeNode = get('idType');
    const idNode = get('id');
    let idType: string | undefined;
    let id: string | undefined;
    if (idTypeNode) {
      const value = stringOf(idTypeNode);
      if (value !== undefined && idTypes.includes(value)) idType = value;
      else problem(idTypeNode, invalidIdType());
    }
    if (idNode) {
      if (idNode.type === 'string' && (idNode.value as string).trim() !== '') id = idNode.value as string;
      else problem(idNode, l10n.t('{0}.id must be a non-empty string.', where));
    }
    return { idType, id };
  };
  const nonNegative = (key: string, fallback?: number): number | undefined => {
    const n = get(key);
    if (!n) return fallback;
    if (n.type !== 'number' || (n.value as number) < 0) {
      problem(n, l10n.t('{0}.{1} must be a number of seconds, 0 or more.', where, key));
      return undefined;
    }
    return n.value as number;
  };
  const attributeMap = (key: string, allowScalars: boolean): Record<string, string> | undefined => {
    const n = get(key);
    if (!n) return undefined;
    if (n.type !== 'object') {
      problem(n, l10n.t('{0}.{1} must be an object of attribute name -> value.', where, key));
      return undefined;
    }
    const attributes = propertiesOf(n);
    if (attributes.length === 0) problem(n, l10n.t('{0}.{1} is empty; give at least one attribute.', where, key));
    const values: Record<string, string> = {};
    for (const p of attributes) {
      const v = p.value;
      if (p.key.trim() === '') {
        problem(p.keyNode, l10n.t('{0}.{1} has an empty attribute name.', where, key));
      }
      if (v.type === 'string') values[p.key] = v.value as string;
      else if (allowScalars && (v.type === 'number' || v.type === 'boolean')) values[p.key] = String(v.value);
      else if (allowScalars) problem(v, l10n.t('{0}.{1}.{2} must be a string, number or boolean.', where, key, p.key));
      else problem(v, l10n.t('{0}.{1}.{2} must be a string (Target compares values as text).', where, key, p.key));
    }
    return values;
  };

  let step: ScenarioStep | undefined;
  if (type === 'update') {
    const { idType, id } = idOf(['pcId', 'thirdPartyId'], () =>
      l10n.t('{0}.idType must be "pcId" or "thirdPartyId".', where),
    );
    const attributes = attributeMap('attributes', true);
    if (idType && id && attributes) step = { ...common, type, idType: idType as UpdateIdType, id, attributes };
  } else if (type === 'wait') {
    const seconds = nonNegative('seconds');
    if (seconds !== undefined) step = { ...common, type, seconds };
  } else if (type === 'verify') {
    const { idType, id } = idOf(['pcId', 'thirdPartyId', 'marketingCloudVisitorId'], () =>
      l10n.t('{0}.idType must be "pcId" or "thirdPartyId" or "marketingCloudVisitorId".', where),
    );
    const expect = attributeMap('expect', false);
    const within = nonNegative('within', DEFAULT_VERIFY_WITHIN_SECONDS);
    if (idType && id && expect && within !== undefined) {
      step = { ...common, type, idType: idType as LookupIdType, id, expect, within };
    }
  } else if (type === 'preview') {
    const { idType, id } = idOf(['pcId', 'thirdPartyId', 'marketingCloudVisitorId'], () =>
      l10n.t('{0}.idType must be "pcId" or "thirdPartyId" or "marketingCloudVisitorId".', where),
    );
    const expect = mboxExpectations(get('expect'), where, problem);
    const within = nonNegative('within', DEFAULT_PREVIEW_WITHIN_SECONDS);
    const urlNode = get('url');
    let url: string | undefined;
    if (urlNode) {
      const value = stringOf(urlNode);
      if (value !== undefined && /^https?:\/\/[^\s/]+/i.test(value)) url = value;
      else problem(urlNode, l10n.t('{0}.url must be the page URL, starting with http:// or https://.', where));
    }
    const propertyNode = get('property');
    let property: string | undefined;
    if (propertyNode) {
      const value = stringOf(propertyNode);
      // The same rules as a property's name in the editor's Set Property Token.
      if (value !== undefined && value.trim() !== '' && value.trim().length <= 64 && !value.includes('/')) {
        property = value.trim();
      } else {
        problem(
          propertyNode,
          l10n.t(
            '{0}.property must be the name of a property token stored for the connection (1 to 64 characters, no "/").',
            where,
          ),
        );
      }
    }
    if (idType && id && expect && within !== undefined) {
      step = {
        ...common,
        type,
        idType: idType as LookupIdType,
        id,
        expect,
        within,
        ...(url ? { url } : {}),
        ...(property ? { property } : {}),
      };
    }
  } else {
    const fileNode = get('file');
    const apiNode = get('apiVersion');
    const waitNode = get('wait');
    let file: string | undefined;
    let apiVersion: 'v1' | 'v2' | undefined;
    if (fileNode) {
      if (fileNode.type === 'string' && (fileNode.value as string).trim() !== '') file = fileNode.value as string;
      else problem(fileNode, l10n.t('{0}.file must be a path to a batch file, relative to the scenario file.', where));
    }
    if (apiNode) {
      if (apiNode.type === 'string' && (apiNode.value === 'v1' || apiNode.value === 'v2')) apiVersion = apiNode.value;
      else problem(apiNode, l10n.t('{0}.apiVersion must be "v1" or "v2".', where));
    }
    if (waitNode && waitNode.type !== 'boolean') problem(waitNode, l10n.t('{0}.wait must be true or false.', where));
    const wait = waitNode?.type === 'boolean' ? (waitNode.value as boolean) : true;
    if (file) step = { ...common, type, file, ...(apiVersion ? { apiVersion } : {}), wait };
  }
  return problems.length === before ? step : undefined;
}

/** A preview step's `expect`: mbox name -> what that mbox should get (at most 50 mboxes, as Target takes). */
function mboxExpectations(
  node: Node | undefined,
  where: string,
  problem: (at: Extent, message: string) => void,
): Record<string, MboxExpectation> | undefined {
  if (!node) return undefined;
  if (node.type !== 'object') {
    problem(node, l10n.t('{0}.expect must be an object of mbox name -> expectations.', where));
    return undefined;
  }
  const mboxes = propertiesOf(node);
  if (mboxes.length === 0) problem(node, l10n.t('{0}.expect is empty; give at least one mbox.', where));
  if (mboxes.length > MAX_MBOXES) {
    problem(
      node,
      l10n.t(
        '{0}.expect names {1} mboxes; Target previews at most {2}.',
        where,
        String(mboxes.length),
        String(MAX_MBOXES),
      ),
    );
  }
  const result: Record<string, MboxExpectation> = {};
  let ok = true;
  for (const m of mboxes) {
    const at = `${where}.expect.${m.key}`;
    if (m.key.trim() === '') {
      problem(m.keyNode, l10n.t('{0}.expect has an empty mbox name.', where));
      ok = false;
      continue;
    }
    if (m.value.type !== 'object') {
      problem(
        m.value,
        l10n.t('{0} must be an object of expectations ({1}).', at, MBOX_EXPECTATIONS.map((k) => `"${k}"`).join(', ')),
      );
      ok = false;
      continue;
    }
    const fields = propertiesOf(m.value);
    if (fields.length === 0) {
      problem(
        m.value,
        l10n.t('{0} is empty; give at least one of {1}.', at, MBOX_EXPECTATIONS.map((k) => `"${k}"`).join(', ')),
      );
      ok = false;
    }
    const expectation: MboxExpectation = {};
    for (const f of fields) {
      if (!(MBOX_EXPECTATIONS as readonly string[]).includes(f.key)) {
        problem(
          f.keyNode,
          l10n.t(
            '{0} has no expectation "{1}" (it takes {2}).',
            at,
            f.key,
            MBOX_EXPECTATIONS.map((k) => `"${k}"`).join(', '),
          ),
        );
        ok = false;
      } else if (f.key === 'nothingServed') {
        if (f.value.type === 'boolean' && f.value.value === true) expectation.nothingServed = true;
        else {
          problem(f.value, l10n.t('{0}.nothingServed must be true (leave it out when something is served).', at));
          ok = false;
        }
      } else {
        const value = stringOf(f.value);
        if (value !== undefined && value !== '') {
          expectation[f.key as 'activity' | 'experience' | 'offer' | 'contentContains'] = value;
        } else {
          problem(f.value, l10n.t('{0}.{1} must be a non-empty string.', at, f.key));
          ok = false;
        }
      }
    }
    if (expectation.nothingServed && fields.length > 1) {
      problem(m.keyNode, l10n.t('{0}: "nothingServed" takes no other expectation.', at));
      ok = false;
    }
    result[m.key] = expectation;
  }
  return ok && mboxes.length > 0 && mboxes.length <= MAX_MBOXES ? result : undefined;
}
