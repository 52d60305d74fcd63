import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  parseAttributeInput,
  parseAttributes,
  pcIdProblem,
  thirdPartyIdProblem,
} from '../../../../src/core/profiles/attributes';
import { bodyVariable, shellQuote, toCurl } from '../../../../src/core/profiles/curl';
import { compareAttributes, verifyDelays } from '../../../../src/core/profiles/verify';

describe('profile attributes as typed', () => {
  it('reads name=value, with & kept in a single value', () => {
    assert.deepStrictEqual(parseAttributeInput('note=a&b'), { ok: true, pairs: [['note', 'a&b']] });
    assert.deepStrictEqual(parseAttributeInput('profile.tier=gold'), { ok: true, pairs: [['tier', 'gold']] });
  });

  it('reads a pasted query string, decoding it', () => {
    assert.deepStrictEqual(parseAttributeInput('a=1&b=New%20York&c=x+y'), {
      ok: true,
      pairs: [
        ['a', '1'],
        ['b', 'New York'],
        ['c', 'x y'],
      ],
    });
  });

  it('reads a JSON object, dropping nulls and refusing nested values', () => {
    assert.deepStrictEqual(parseAttributeInput('{"tier":"gold","age":34,"vip":true,"gone":null}'), {
      ok: true,
      pairs: [
        ['tier', 'gold'],
        ['age', '34'],
        ['vip', 'true'],
      ],
    });
    assert.strictEqual(parseAttributeInput('{"a":{"b":1}}').ok, false);
    assert.strictEqual(parseAttributeInput('{"a":').ok, false);
    assert.strictEqual(parseAttributeInput('[1]').ok, false);
  });

  it('refuses what is not name=value', () => {
    assert.strictEqual(parseAttributeInput('=x').ok, false);
    assert.strictEqual(parseAttributeInput('novalue').ok, false);
    assert.strictEqual(parseAttributes('').ok, false);
  });

  it('checks ids as Target does', () => {
    assert.match(thirdPartyIdProblem('a+b')!, /\+ or \//);
    assert.match(thirdPartyIdProblem('a%2Fb')!, /\+ or \//);
    assert.strictEqual(thirdPartyIdProblem('crm-1'), undefined);
    assert.match(thirdPartyIdProblem('x'.repeat(257))!, /256/);
    assert.match(pcIdProblem('1'.repeat(129))!, /128/);
    assert.match(pcIdProblem(' ')!, /empty/);
  });
});

describe('verification', () => {
  const profile = { profileAttributes: { tier: { value: 'gold' }, age: { value: '35' } } };

  it('reports matching, differing and missing attributes, ignoring empty sent values', () => {
    const report = compareAttributes(
      [
        ['tier', 'gold'],
        ['age', '34'],
        ['city', 'Madrid'],
        ['empty', ''],
      ],
      profile,
    );
    assert.strictEqual(report.allMatch, false);
    assert.deepStrictEqual(report.checks, [
      { name: 'tier', state: 'match', expected: 'gold' },
      { name: 'age', state: 'differs', expected: '34', actual: '35' },
      { name: 'city', state: 'missing', expected: 'Madrid' },
    ]);
  });

  it('uses the last value sent for a repeated name', () => {
    assert.ok(
      compareAttributes(
        [
          ['tier', 'silver'],
          ['tier', 'gold'],
        ],
        profile,
      ).allMatch,
    );
  });

  it('spreads polls over the budget with doubling waits', () => {
    assert.deepStrictEqual(verifyDelays(1000, 4000, 15000), [1000, 2000, 4000, 4000, 4000]);
    assert.deepStrictEqual(verifyDelays(1000, 4000, 0), []);
  });
});

describe('Copy as cURL', () => {
  it('never writes the token, reading it from the environment instead', () => {
    const command = toCurl({
      method: 'GET',
      url: "https://acme.tt.omtrdc.net/m2/acme/profile/update?mbox3rdPartyId=it's&profile.a=1",
      authenticated: true,
    });
    assert.strictEqual(
      command,
      `: "\${TARGET_PROFILE_TOKEN:?set TARGET_PROFILE_TOKEN to the profile API token}" && curl --fail-with-body -X GET 'https://acme.tt.omtrdc.net/m2/acme/profile/update?mbox3rdPartyId=it'\\''s&profile.a=1' -H "Authorization: Bearer $TARGET_PROFILE_TOKEN"`,
    );
  });

  it('sends a POST body as given, quoted for the shell', () => {
    assert.strictEqual(
      toCurl({
        method: 'POST',
        url: 'http://127.0.0.1:1/x',
        body: 'a=$(rm)',
        contentType: 'application/x-www-form-urlencoded',
        authenticated: false,
      }),
      "curl --fail-with-body -X POST 'http://127.0.0.1:1/x' -H 'Content-Type: application/x-www-form-urlencoded' --data-binary 'a=$(rm)'",
    );
    assert.strictEqual(shellQuote(''), "''");
  });

  it('stops with a clear message when $TARGET_PROFILE_TOKEN is unset, and sends it when set (run in sh)', function () {
    if (process.platform === 'win32') this.skip();
    // A stand-in curl on PATH that prints the arguments it was given, one per line.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-curl-'));
    try {
      fs.writeFileSync(path.join(bin, 'curl'), '#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n', { mode: 0o755 });
      const command = toCurl({
        method: 'GET',
        url: 'http://127.0.0.1:1/rest/v1/profiles/x?client=acme',
        authenticated: true,
      });
      const env = { PATH: `${bin}:/usr/bin:/bin` };
      const unset = spawnSync('sh', ['-c', command], { env, encoding: 'utf8' });
      assert.notStrictEqual(unset.status, 0);
      assert.match(unset.stderr, /set TARGET_PROFILE_TOKEN to the profile API token/);
      assert.strictEqual(unset.stdout, '', 'curl must not run without the token');
      const set = spawnSync('sh', ['-c', command], {
        env: { ...env, TARGET_PROFILE_TOKEN: 'tok-1' },
        encoding: 'utf8',
      });
      assert.strictEqual(set.status, 0, set.stderr);
      assert.deepStrictEqual(set.stdout.trim().split('\n'), [
        '--fail-with-body',
        '-X',
        'GET',
        'http://127.0.0.1:1/rest/v1/profiles/x?client=acme',
        '-H',
        'Authorization: Bearer tok-1',
      ]);
      // Without authentication there is nothing to guard.
      const open = toCurl({ method: 'GET', url: 'http://127.0.0.1:1/x', authenticated: false });
      assert.strictEqual(spawnSync('sh', ['-c', open], { env, encoding: 'utf8' }).status, 0);
      assert.ok(!open.includes('TARGET_PROFILE_TOKEN'));
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });
  it('expands the secrets of a body from their variables only, and stops when one is unset (run in sh)', function () {
    if (process.platform === 'win32') this.skip();
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-curl-'));
    try {
      fs.writeFileSync(path.join(bin, 'curl'), '#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n', { mode: 0o755 });
      const body = JSON.stringify({
        property: { token: bodyVariable('TARGET_PROPERTY_TOKEN') },
        mbox: "it's $(rm) $HOME",
      });
      const command = toCurl({
        method: 'POST',
        url: 'http://127.0.0.1:1/rest/v1/delivery?client=acme',
        body,
        contentType: 'application/json',
        authenticated: false,
        variables: ['TARGET_PROPERTY_TOKEN'],
      });
      assert.ok(!command.includes('prop-1'));
      const env = { PATH: `${bin}:/usr/bin:/bin` };
      const unset = spawnSync('sh', ['-c', command], { env, encoding: 'utf8' });
      assert.notStrictEqual(unset.status, 0);
      assert.match(unset.stderr, /set TARGET_PROPERTY_TOKEN/);
      assert.strictEqual(unset.stdout, '');
      const set = spawnSync('sh', ['-c', command], {
        env: { ...env, TARGET_PROPERTY_TOKEN: 'prop-1' },
        encoding: 'utf8',
      });
      assert.strictEqual(set.status, 0, set.stderr);
      const args = set.stdout.trim().split('\n');
      assert.deepStrictEqual(JSON.parse(args[args.length - 1]), {
        property: { token: 'prop-1' },
        mbox: "it's $(rm) $HOME",
      });
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });
});
