import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { JsoncSyntaxError, parseJsonc } from '../../../src/core/scenarios/jsonc';
import { STEP_TYPES, parseScenario } from '../../../src/core/scenarios/scenario';

const root = path.resolve(__dirname, '../../../..');

function messages(text: string): string[] {
  return parseScenario(text).problems.map((p) => p.message);
}

describe('scenarios: JSONC parsing', () => {
  it('accepts comments and trailing commas and keeps string contents intact', () => {
    const node = parseJsonc(
      '// head\n{ /* a */ "a": "x // not a comment /* nor this */", "b": [1, 2,], "c": true, } // tail\n',
    );
    assert.strictEqual(node.kind, 'object');
    if (node.kind !== 'object') return;
    assert.deepStrictEqual(
      node.properties.map((p) => p.key),
      ['a', 'b', 'c'],
    );
    assert.deepStrictEqual(node.properties[0].value, {
      kind: 'string',
      start: 23,
      end: 58,
      value: 'x // not a comment /* nor this */',
    });
    const b = node.properties[1].value;
    assert.ok(b.kind === 'array' && b.items.length === 2);
  });

  it('decodes escapes and numbers like JSON.parse', () => {
    const text = '{"s": "a\\"b\\\\c\\n\\u00e9", "n": -1.5e2, "z": 0, "x": null}';
    const node = parseJsonc(text);
    assert.ok(node.kind === 'object');
    const plain = Object.fromEntries(
      node.properties.map((p) => [p.key, 'value' in p.value ? p.value.value : undefined]),
    );
    assert.deepStrictEqual(plain, JSON.parse(text));
  });

  it('reports syntax errors with their offset', () => {
    for (const [text, pattern, offset] of [
      ['{"a": 1', /no closing/, 7],
      ['{"a" 1}', /Expected ':'/, 5],
      ["{'a': 1}", /property name in double quotes/, 1],
      ['{"a": 1} x', /after the end/, 9],
      ['{"a": /* x', /Unterminated comment/, 6],
      ['{"a": tru}', /Expected a value/, 6],
      ['[1 2]', /Expected ',' or ']'/, 3],
    ] as const) {
      assert.throws(
        () => parseJsonc(text),
        (e: unknown) => e instanceof JsoncSyntaxError && pattern.test(e.message) && e.offset === offset,
        text,
      );
    }
  });

  it('gives each step its 0-based line/column range, also in CRLF files', () => {
    const text = [
      '{',
      '  // the gold state',
      '  "steps": [',
      '    { "type": "wait", "seconds": 1 },',
      '    {',
      '      "type": "verify", "name": "gold", "idType": "pcId", "id": "p", "expect": { "tier": "gold" },',
      '    },',
      '  ],',
      '}',
    ];
    for (const eol of ['\n', '\r\n']) {
      const parsed = parseScenario(lines(text, eol));
      assert.deepStrictEqual(parsed.problems, []);
      assert.deepStrictEqual(parsed.steps, [
        { index: 0, type: 'wait', range: { line: 3, column: 4, endLine: 3, endColumn: 36 } },
        { index: 1, type: 'verify', name: 'gold', range: { line: 4, column: 4, endLine: 6, endColumn: 5 } },
      ]);
      assert.deepStrictEqual(parsed.scenario!.steps[1], {
        index: 1,
        name: 'gold',
        range: { line: 4, column: 4, endLine: 6, endColumn: 5 },
        type: 'verify',
        idType: 'pcId',
        id: 'p',
        expect: { tier: 'gold' },
        within: 30,
      });
    }
  });
});

function lines(text: string[], eol: string): string {
  return text.join(eol) + eol;
}

describe('scenarios: validation', () => {
  it('reads every step type with its defaults; update values may be numbers and booleans', () => {
    const parsed = parseScenario(
      JSON.stringify({
        connection: 'QA',
        steps: [
          { type: 'update', idType: 'thirdPartyId', id: 'crm-1', attributes: { tier: 'gold', age: 35, vip: true } },
          { type: 'wait', seconds: 0.5 },
          { type: 'verify', idType: 'marketingCloudVisitorId', id: 'e', expect: { tier: 'gold' }, within: 5 },
          { type: 'batch', file: 'x.batch' },
          { type: 'batch', file: 'y.batch', apiVersion: 'v1', wait: false, name: 'upload' },
        ],
      }),
    );
    assert.deepStrictEqual(parsed.problems, []);
    const s = parsed.scenario!;
    assert.strictEqual(s.connection, 'QA');
    const plain = s.steps.map(({ range: _range, ...rest }) => rest);
    assert.deepStrictEqual(plain, [
      {
        index: 0,
        type: 'update',
        idType: 'thirdPartyId',
        id: 'crm-1',
        attributes: { tier: 'gold', age: '35', vip: 'true' },
      },
      { index: 1, type: 'wait', seconds: 0.5 },
      { index: 2, type: 'verify', idType: 'marketingCloudVisitorId', id: 'e', expect: { tier: 'gold' }, within: 5 },
      { index: 3, type: 'batch', file: 'x.batch', wait: true },
      { index: 4, name: 'upload', type: 'batch', file: 'y.batch', apiVersion: 'v1', wait: false },
    ]);
  });

  it('says clearly what is wrong, where', () => {
    assert.deepStrictEqual(messages('[]'), ['A scenario is an object with "steps"; this is an array.']);
    assert.deepStrictEqual(messages('{}'), ['The scenario has no "steps".']);
    assert.deepStrictEqual(messages('{"steps": [], "conection": "x"}'), [
      'Unknown property "conection"; a scenario has "connection" and "steps".',
      '"steps" is empty; add at least one step.',
    ]);
    assert.deepStrictEqual(messages('{"steps": [{"type": "updte"}, 3, {"seconds": 1}]}'), [
      'steps[0].type must be one of "update", "wait", "verify", "batch".',
      'steps[1] must be an object with a "type"; this is a number.',
      'steps[2] has no "type"; give one of "update", "wait", "verify", "batch".',
    ]);
    assert.deepStrictEqual(
      messages(
        '{"steps": [{"type": "update", "idType": "marketingCloudVisitorId", "id": "", "attributes": {"a": null}}]}',
      ),
      [
        'steps[0].idType must be "pcId" or "thirdPartyId".',
        'steps[0].id must be a non-empty string.',
        'steps[0].attributes.a must be a string, number or boolean.',
      ],
    );
    assert.deepStrictEqual(
      messages(
        '{"steps": [{"type": "verify", "idType": "pcId", "id": "p", "expect": {"age": 35}, "within": -1, "extra": 1}]}',
      ),
      [
        'steps[0]: a verify step has no property "extra" (it takes "idType", "id", "expect", "within", "name").',
        'steps[0].expect.age must be a string (Target compares values as text).',
        'steps[0].within must be a number of seconds, 0 or more.',
      ],
    );
    assert.deepStrictEqual(
      messages('{"steps": [{"type": "wait"}, {"type": "batch", "file": "b", "apiVersion": "v3", "wait": "yes"}]}'),
      [
        'steps[0]: a wait step needs "seconds".',
        'steps[1].apiVersion must be "v1" or "v2".',
        'steps[1].wait must be true or false.',
      ],
    );
  });

  it('places a problem on the offending value', () => {
    const parsed = parseScenario('{\n  "steps": [\n    { "type": "wait", "seconds": "ten" }\n  ]\n}\n');
    assert.deepStrictEqual(parsed.problems, [
      {
        message: 'steps[0].seconds must be a number of seconds, 0 or more.',
        range: { line: 2, column: 33, endLine: 2, endColumn: 38 },
      },
    ]);
    assert.strictEqual(parsed.scenario, undefined);
    assert.strictEqual(parsed.steps.length, 1, 'the step keeps its location for the CodeLens');
    const syntax = parseScenario('{\n  "steps": [,]\n}');
    assert.deepStrictEqual(syntax.problems, [
      { message: "Expected a value but found ','.", range: { line: 1, column: 12, endLine: 1, endColumn: 13 } },
    ]);
  });

  it('the sample scenario is valid', () => {
    const parsed = parseScenario(
      fs.readFileSync(path.join(root, 'media', 'sample', 'loyalty.targetprofile.json'), 'utf8'),
    );
    assert.deepStrictEqual(parsed.problems, []);
    assert.deepStrictEqual(
      parsed.scenario!.steps.map((s) => s.type),
      ['update', 'verify', 'verify'],
    );
  });
});

describe('scenarios: JSON schema', () => {
  const schema = JSON.parse(fs.readFileSync(path.join(root, 'schemas', 'targetprofile.schema.json'), 'utf8'));

  it('is draft-07 and lists the same step types as the core', () => {
    assert.strictEqual(schema.$schema, 'http://json-schema.org/draft-07/schema#');
    const step = schema.properties.steps.items;
    assert.deepStrictEqual(step.properties.type.enum, [...STEP_TYPES]);
    assert.deepStrictEqual(
      step.oneOf.map((s: { properties: { type: { const: string } } }) => s.properties.type.const),
      [...STEP_TYPES],
    );
  });

  it('describes every property', () => {
    const missing: string[] = [];
    const walk = (node: unknown, where: string) => {
      if (!node || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (n.properties) {
        for (const [key, value] of Object.entries(n.properties as Record<string, Record<string, unknown>>)) {
          if (typeof value.description !== 'string' || value.description === '') missing.push(`${where}.${key}`);
          walk(value, `${where}.${key}`);
        }
      }
      for (const key of ['items', 'additionalProperties']) walk(n[key], `${where}.${key}`);
      if (Array.isArray(n.oneOf)) n.oneOf.forEach((s, i) => walk(s, `${where}.oneOf[${i}]`));
    };
    walk(schema, '$');
    assert.deepStrictEqual(missing, []);
  });
});
