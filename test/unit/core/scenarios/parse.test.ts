import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { STEP_PROPERTIES, STEP_TYPES, parseScenario } from '../../../../src/core/scenarios/scenario';
import { repoRoot } from '../../../support/repoRoot';

const root = repoRoot;

function messages(text: string): string[] {
  return parseScenario(text).problems.map((p) => p.message);
}

/** The one problem of a single-line text, with the column it starts at. */
function syntaxError(text: string): { message: string; column: number } {
  const problems = parseScenario(text).problems;
  assert.strictEqual(problems.length, 1, `${text}: ${JSON.stringify(problems)}`);
  assert.strictEqual(problems[0].range.line, 0, text);
  return { message: problems[0].message, column: problems[0].range.column };
}

describe('scenarios: JSONC parsing', () => {
  it('accepts comments and trailing commas and keeps string contents intact', () => {
    const name = 'x // not a comment /* nor this */';
    const parsed = parseScenario(
      `// head\n{ /* a */ "steps": [{ "type": "wait", "name": "${name}", "seconds": 1, },], } // tail\n`,
    );
    assert.deepStrictEqual(parsed.problems, []);
    assert.strictEqual(parsed.scenario!.steps[0].name, name);
    // A string value's range is exactly its quotes and contents.
    const wrongText = `{ /* a */ "steps": [{ "type": "wait", "seconds": "${name}", },], }`;
    const start = wrongText.indexOf(`"${name}"`);
    assert.deepStrictEqual(
      parseScenario(wrongText).problems.map((p) => p.range),
      [{ line: 0, column: start, endLine: 0, endColumn: start + name.length + 2 }],
    );
  });

  it('decodes escapes and numbers like JSON.parse', () => {
    const text =
      '{"steps": [{"type": "update", "name": "a\\"b\\\\c\\n\\u00e9", "idType": "pcId", "id": "p", "attributes": {"n": -1.5e2, "z": 0, "t": true}}]}';
    const step = parseScenario(text).scenario!.steps[0];
    const plain = JSON.parse(text).steps[0];
    assert.strictEqual(step.name, plain.name);
    assert.ok(step.type === 'update');
    assert.deepStrictEqual(
      step.attributes,
      Object.fromEntries(Object.entries(plain.attributes).map(([k, v]) => [k, String(v)])),
    );
  });

  it('reports syntax errors in its own words at the column of the problem', () => {
    for (const [text, pattern, column] of [
      ['{"a": 1', /no closing/, 7],
      ['{"a" 1}', /Expected ':' after the property name "a"/, 5],
      ["{'a': 1}", /property name in double quotes/, 1],
      ['{"a": 1} x', /after the end/, 9],
      ['{"a": /* x', /Unterminated comment/, 6],
      ['{"a": tru}', /Expected a value but found 't'/, 6],
      ['[1 2]', /Expected ',' or ']'/, 3],
      ['{"a": [1, 2}', /Expected ',' or ']' but found '}'/, 11],
      ['{"a": 1 "b": 2}', /Expected ',' or '}' but found '"'/, 8],
      ['{"a": \'b\'}', /double quotes/, 6],
      ['{"a": "b', /Unterminated string/, 6],
      ['{"a": "\\q"}', /Invalid escape '\\q'/, 7],
      ['{"a": "\\u12"}', /Invalid \\u escape/, 7],
      ['{"a": 1.}', /Expected ',' or '}' but found '\.'/, 7],
      ['{"a": 1, , }', /property name in double quotes but found ','/, 9],
      ['', /Expected a value but found the end of the file/, 0],
    ] as const) {
      const found = syntaxError(text);
      assert.match(found.message, pattern, text);
      assert.strictEqual(found.column, column, text);
    }
    const multiline = parseScenario('{"steps": "a\nb"}').problems;
    assert.deepStrictEqual(multiline, [
      {
        message: 'A string cannot span lines; close it with ".',
        range: { line: 0, column: 12, endLine: 1, endColumn: 0 },
      },
    ]);
  });

  it('accepts a byte order mark and a raw tab inside a string', () => {
    const parsed = parseScenario('\ufeff{"steps": [{"type": "wait", "name": "a\tb", "seconds": 1}]}');
    assert.deepStrictEqual(parsed.problems, []);
    assert.strictEqual(parsed.scenario!.steps[0].name, 'a\tb');
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
      'steps[0].type must be one of "update", "wait", "verify", "batch", "preview".',
      'steps[1] must be an object with a "type"; this is a number.',
      'steps[2] has no "type"; give one of "update", "wait", "verify", "batch", "preview".',
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

  it('reads a preview step: expectations per mbox, within 30 s by default, an optional page URL', () => {
    const parsed = parseScenario(
      JSON.stringify({
        steps: [
          {
            type: 'preview',
            idType: 'pcId',
            id: 'p',
            expect: {
              'home-hero': { activity: 'A', experience: 'E', offer: 'O', contentContains: '<h1>' },
              offers: { nothingServed: true },
            },
          },
          {
            type: 'preview',
            name: 'ecid',
            idType: 'marketingCloudVisitorId',
            id: 'e',
            expect: { m: { experience: 'X' } },
            within: 0,
            url: 'https://shop.example.com/home',
          },
        ],
      }),
    );
    assert.deepStrictEqual(parsed.problems, []);
    assert.deepStrictEqual(
      parsed.scenario!.steps.map(({ range: _range, ...rest }) => rest),
      [
        {
          index: 0,
          type: 'preview',
          idType: 'pcId',
          id: 'p',
          expect: {
            'home-hero': { activity: 'A', experience: 'E', offer: 'O', contentContains: '<h1>' },
            offers: { nothingServed: true },
          },
          within: 30,
        },
        {
          index: 1,
          name: 'ecid',
          type: 'preview',
          idType: 'marketingCloudVisitorId',
          id: 'e',
          expect: { m: { experience: 'X' } },
          within: 0,
          url: 'https://shop.example.com/home',
        },
      ],
    );
  });

  it("reads a preview step's property: the name of a stored property token, trimmed", () => {
    const parsed = parseScenario(
      JSON.stringify({
        steps: [
          { type: 'preview', idType: 'pcId', id: 'p', expect: { 'app-banner': { offer: 'O' } }, property: ' Mobile ' },
          { type: 'preview', idType: 'pcId', id: 'p', expect: { 'app-banner': { nothingServed: true } } },
        ],
      }),
    );
    assert.deepStrictEqual(parsed.problems, []);
    const [named, plain] = parsed.scenario!.steps;
    assert.ok(named.type === 'preview' && plain.type === 'preview');
    assert.strictEqual(named.property, 'Mobile');
    assert.ok(!('property' in plain), 'no property when the step names none');
  });

  it('refuses a property that cannot name a stored property token, on the value', () => {
    const step = (property: unknown) => ({
      type: 'preview',
      idType: 'pcId',
      id: 'p',
      expect: { m: { offer: 'O' } },
      property,
    });
    const message =
      'steps[0].property must be the name of a property token stored for the connection (1 to 64 characters, no "/").';
    for (const bad of ['', '   ', 'a/b', 'x'.repeat(65), 7, null, ['Mobile']]) {
      assert.deepStrictEqual(messages(JSON.stringify({ steps: [step(bad)] })), [message], JSON.stringify(bad));
    }
    assert.deepStrictEqual(messages(JSON.stringify({ steps: [step('x'.repeat(64))] })), []);
    const text =
      '{"steps": [{"type": "preview", "idType": "pcId", "id": "p", "expect": {"m": {"offer": "O"}}, "property": 7}]}';
    const at = text.lastIndexOf('7');
    assert.deepStrictEqual(
      parseScenario(text).problems.map((p) => p.range),
      [{ line: 0, column: at, endLine: 0, endColumn: at + 1 }],
    );
    // Only preview steps send a property token.
    assert.deepStrictEqual(
      messages(
        '{"steps": [{"type": "verify", "idType": "pcId", "id": "p", "expect": {"a": "1"}, "property": "Mobile"}]}',
      ),
      ['steps[0]: a verify step has no property "property" (it takes "idType", "id", "expect", "within", "name").'],
    );
  });

  it('says what is wrong with a preview step, on the offending value', () => {
    assert.deepStrictEqual(messages('{"steps": [{"type": "preview", "idType": "pcId", "id": "p"}]}'), [
      'steps[0]: a preview step needs "expect".',
    ]);
    assert.deepStrictEqual(
      messages(
        JSON.stringify({
          steps: [
            {
              type: 'preview',
              idType: 'crm',
              id: 'p',
              within: -1,
              url: 'shop.example.com',
              expect: {
                a: { experience: '' },
                b: { nothingServed: false },
                c: { nothingServed: true, offer: 'O' },
                d: { exp: 'x' },
                e: {},
                f: 'Gold',
                '': { offer: 'O' },
              },
            },
            { type: 'preview', idType: 'pcId', id: 'p', expect: {} },
            { type: 'preview', idType: 'pcId', id: 'p', expect: ['home-hero'], mbox: 'x' },
          ],
        }),
      ),
      [
        'steps[0].idType must be "pcId" or "thirdPartyId" or "marketingCloudVisitorId".',
        'steps[0].expect.a.experience must be a non-empty string.',
        'steps[0].expect.b.nothingServed must be true (leave it out when something is served).',
        'steps[0].expect.c: "nothingServed" takes no other expectation.',
        'steps[0].expect.d has no expectation "exp" (it takes "activity", "experience", "offer", "contentContains", "nothingServed").',
        'steps[0].expect.e is empty; give at least one of "activity", "experience", "offer", "contentContains", "nothingServed".',
        'steps[0].expect.f must be an object of expectations ("activity", "experience", "offer", "contentContains", "nothingServed").',
        'steps[0].expect has an empty mbox name.',
        'steps[0].within must be a number of seconds, 0 or more.',
        'steps[0].url must be the page URL, starting with http:// or https://.',
        'steps[1].expect is empty; give at least one mbox.',
        'steps[2]: a preview step has no property "mbox" (it takes "idType", "id", "expect", "within", "url", "property", "name").',
        'steps[2].expect must be an object of mbox name -> expectations.',
      ],
    );
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`m${i}`, { experience: 'E' }]));
    assert.deepStrictEqual(
      messages(JSON.stringify({ steps: [{ type: 'preview', idType: 'pcId', id: 'p', expect: many }] })),
      ['steps[0].expect names 51 mboxes; Target previews at most 50.'],
    );
    // The range is the offending value's.
    const text = '{"steps": [{"type": "preview", "idType": "pcId", "id": "p", "expect": {"m": {"offer": 7}}}]}';
    const at = text.indexOf('7');
    assert.deepStrictEqual(parseScenario(text).problems, [
      {
        message: 'steps[0].expect.m.offer must be a non-empty string.',
        range: { line: 0, column: at, endLine: 0, endColumn: at + 1 },
      },
    ]);
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
      ['update', 'verify', 'preview', 'verify'],
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

  it('each step takes the properties, and requires those, that the core reads', () => {
    for (const step of schema.properties.steps.items.oneOf as {
      required: string[];
      properties: Record<string, unknown> & { type: { const: keyof typeof STEP_PROPERTIES } };
    }[]) {
      const type = step.properties.type.const;
      const core = STEP_PROPERTIES[type];
      assert.deepStrictEqual(
        Object.keys(step.properties).sort(),
        ['type', 'name', ...core.required, ...core.optional].sort(),
        type,
      );
      assert.deepStrictEqual([...step.required].sort(), ['type', ...core.required].sort(), type);
    }
  });

  it("a preview step's property: the schema refuses what the core refuses", () => {
    const property = schema.properties.steps.items.oneOf[4].properties.property;
    const schemaAccepts = (v: string) =>
      v.length >= property.minLength && v.length <= property.maxLength && new RegExp(property.pattern).test(v);
    for (const value of ['Mobile', 'EU workspace', 'x'.repeat(64), '', '  ', 'a/b', 'x'.repeat(65)]) {
      const core =
        messages(
          JSON.stringify({
            steps: [{ type: 'preview', idType: 'pcId', id: 'p', expect: { m: { offer: 'O' } }, property: value }],
          }),
        ).length === 0;
      assert.strictEqual(schemaAccepts(value), core, JSON.stringify(value));
    }
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
