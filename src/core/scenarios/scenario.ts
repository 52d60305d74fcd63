/**
 * QA scenarios: a `*.targetprofile.json(c)` file that puts test visitors into declared profile states
 * and checks them. This module reads and checks the file against the same rules as
 * schemas/targetprofile.schema.json; the runner (runner.ts) executes it.
 */
import * as l10n from '@vscode/l10n';
import { count } from '../displayLanguage';
import { JsonNode, JsoncSyntaxError, LineMap, SourceRange, parseJsonc } from './jsonc';

/** The step types, in the order the schema lists them (a unit test keeps the two in step). */
export const STEP_TYPES = ['update', 'wait', 'verify', 'batch'] as const;
export type StepType = (typeof STEP_TYPES)[number];

export type UpdateIdType = 'pcId' | 'thirdPartyId';
export type LookupIdType = UpdateIdType | 'marketingCloudVisitorId';

/** Scenario files are recognised by name: `*.targetprofile.json` or `*.targetprofile.jsonc`. */
export const SCENARIO_FILE_PATTERN = /\.targetprofile\.jsonc?$/i;
export const SCENARIO_GLOB = '**/*.targetprofile.{json,jsonc}';

const DEFAULT_VERIFY_WITHIN_SECONDS = 30;

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
const STEP_PROPERTIES: Record<StepType, { required: string[]; optional: string[] }> = {
  update: { required: ['idType', 'id', 'attributes'], optional: [] },
  wait: { required: ['seconds'], optional: [] },
  verify: { required: ['idType', 'id', 'expect'], optional: ['within'] },
  batch: { required: ['file'], optional: ['apiVersion', 'wait'] },
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
  }
}

function describeKind(node: JsonNode): string {
  switch (node.kind) {
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
  }
}

/** Reads and checks a scenario file's text. Every problem is reported, each with its range. */
export function parseScenario(text: string): ParsedScenario {
  const lines = new LineMap(text);
  const problems: ScenarioProblem[] = [];
  const steps: StepLocation[] = [];
  let root: JsonNode;
  try {
    root = parseJsonc(text);
  } catch (error) {
    if (!(error instanceof JsoncSyntaxError)) throw error;
    const at = Math.min(error.offset, text.length);
    return { problems: [{ message: error.message, range: lines.range(at, Math.min(at + 1, text.length)) }], steps };
  }
  const problem = (node: { start: number; end: number }, message: string) =>
    problems.push({ message, range: lines.range(node.start, node.end) });
  if (root.kind !== 'object') {
    problem(root, l10n.t('A scenario is an object with "steps"; this is {0}.', describeKind(root)));
    return { problems, steps };
  }

  let connection: string | undefined;
  let stepsNode: JsonNode | undefined;
  for (const p of root.properties) {
    const key = { start: p.keyStart, end: p.keyEnd };
    if (!TOP_LEVEL.includes(p.key)) {
      problem(key, l10n.t('Unknown property "{0}"; a scenario has "connection" and "steps".', p.key));
    } else if (p.key === 'connection') {
      if (p.value.kind !== 'string' || p.value.value.trim() === '') {
        problem(p.value, l10n.t('"connection" must be a connection name (a non-empty string).'));
      } else connection = p.value.value;
    } else if (p.key === 'steps') stepsNode = p.value;
  }
  const parsedSteps: ScenarioStep[] = [];
  if (!stepsNode) problem({ start: root.start, end: root.start + 1 }, l10n.t('The scenario has no "steps".'));
  else if (stepsNode.kind !== 'array') {
    problem(stepsNode, l10n.t('"steps" must be an array of steps; this is {0}.', describeKind(stepsNode)));
  } else {
    if (stepsNode.items.length === 0) problem(stepsNode, l10n.t('"steps" is empty; add at least one step.'));
    for (const [index, node] of stepsNode.items.entries()) {
      const step = readStep(node, index, lines, problems, steps);
      if (step) parsedSteps.push(step);
    }
  }
  if (problems.length > 0) return { problems, steps };
  return { scenario: { ...(connection === undefined ? {} : { connection }), steps: parsedSteps }, problems, steps };
}

function readStep(
  node: JsonNode,
  index: number,
  lines: LineMap,
  problems: ScenarioProblem[],
  locations: StepLocation[],
): ScenarioStep | undefined {
  const where = `steps[${index}]`;
  const range = lines.range(node.start, node.end);
  const problem = (at: { start: number; end: number }, message: string) =>
    problems.push({ message, range: lines.range(at.start, at.end) });
  if (node.kind !== 'object') {
    problem(node, l10n.t('{0} must be an object with a "type"; this is {1}.', where, describeKind(node)));
    return undefined;
  }
  const props = new Map(node.properties.map((p) => [p.key, p]));
  const typeNode = props.get('type')?.value;
  const nameNode = props.get('name')?.value;
  const location: StepLocation = { index, range };
  locations.push(location);
  if (nameNode) {
    if (nameNode.kind === 'string' && nameNode.value.trim() !== '') location.name = nameNode.value;
    else problem(nameNode, l10n.t('{0}.name must be a non-empty string.', where));
  }
  if (!typeNode) {
    problem(
      { start: node.start, end: node.start + 1 },
      l10n.t('{0} has no "type"; give one of {1}.', where, STEP_TYPES.map((t) => `"${t}"`).join(', ')),
    );
    return undefined;
  }
  if (typeNode.kind !== 'string' || !(STEP_TYPES as readonly string[]).includes(typeNode.value)) {
    problem(typeNode, l10n.t('{0}.type must be one of {1}.', where, STEP_TYPES.map((t) => `"${t}"`).join(', ')));
    return undefined;
  }
  const type = typeNode.value as StepType;
  location.type = type;
  const before = problems.length;
  const allowed = STEP_PROPERTIES[type];
  for (const p of node.properties) {
    if (p.key === 'type' || p.key === 'name' || allowed.required.includes(p.key) || allowed.optional.includes(p.key)) {
      continue;
    }
    const known = [...allowed.required, ...allowed.optional, 'name'].map((k) => `"${k}"`).join(', ');
    problem(
      { start: p.keyStart, end: p.keyEnd },
      l10n.t('{0}: a {1} step has no property "{2}" (it takes {3}).', where, type, p.key, known),
    );
  }
  for (const key of allowed.required) {
    if (!props.has(key)) {
      problem({ start: node.start, end: node.start + 1 }, l10n.t('{0}: a {1} step needs "{2}".', where, type, key));
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
      if (idTypeNode.kind === 'string' && idTypes.includes(idTypeNode.value)) idType = idTypeNode.value;
      else problem(idTypeNode, invalidIdType());
    }
    if (idNode) {
      if (idNode.kind === 'string' && idNode.value.trim() !== '') id = idNode.value;
      else problem(idNode, l10n.t('{0}.id must be a non-empty string.', where));
    }
    return { idType, id };
  };
  const nonNegative = (key: string, fallback?: number): number | undefined => {
    const n = get(key);
    if (!n) return fallback;
    if (n.kind !== 'number' || n.value < 0) {
      problem(n, l10n.t('{0}.{1} must be a number of seconds, 0 or more.', where, key));
      return undefined;
    }
    return n.value;
  };
  const attributeMap = (key: string, allowScalars: boolean): Record<string, string> | undefined => {
    const n = get(key);
    if (!n) return undefined;
    if (n.kind !== 'object') {
      problem(n, l10n.t('{0}.{1} must be an object of attribute name -> value.', where, key));
      return undefined;
    }
    if (n.properties.length === 0) problem(n, l10n.t('{0}.{1} is empty; give at least one attribute.', where, key));
    const values: Record<string, string> = {};
    for (const p of n.properties) {
      const v = p.value;
      if (p.key.trim() === '') {
        problem({ start: p.keyStart, end: p.keyEnd }, l10n.t('{0}.{1} has an empty attribute name.', where, key));
      }
      if (v.kind === 'string') values[p.key] = v.value;
      else if (allowScalars && (v.kind === 'number' || v.kind === 'boolean')) values[p.key] = String(v.value);
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
  } else {
    const fileNode = get('file');
    const apiNode = get('apiVersion');
    const waitNode = get('wait');
    let file: string | undefined;
    let apiVersion: 'v1' | 'v2' | undefined;
    if (fileNode) {
      if (fileNode.kind === 'string' && fileNode.value.trim() !== '') file = fileNode.value;
      else problem(fileNode, l10n.t('{0}.file must be a path to a batch file, relative to the scenario file.', where));
    }
    if (apiNode) {
      if (apiNode.kind === 'string' && (apiNode.value === 'v1' || apiNode.value === 'v2')) apiVersion = apiNode.value;
      else problem(apiNode, l10n.t('{0}.apiVersion must be "v1" or "v2".', where));
    }
    if (waitNode && waitNode.kind !== 'boolean') problem(waitNode, l10n.t('{0}.wait must be true or false.', where));
    const wait = waitNode?.kind === 'boolean' ? waitNode.value : true;
    if (file) step = { ...common, type, file, ...(apiVersion ? { apiVersion } : {}), wait };
  }
  return problems.length === before ? step : undefined;
}
