import * as assert from 'assert';
import {
  ID_EXAMPLES,
  baseUrlProblem,
  checkAttributeInput,
  clientCodeProblem,
  clientSecretProblem,
  connectionNameProblem,
  profileIdProblem,
  tenantProblem,
  tokenProblem,
} from '../../../src/core/flowInput';
import { TargetError, describeTargetError, errorForStatus } from '../../../src/core/target/errors';

describe('palette flows: validation as the user types', () => {
  it('connection: client code, name, base URL as the command line checks them', () => {
    assert.strictEqual(clientCodeProblem('acme'), undefined);
    assert.match(clientCodeProblem('')!, /client code/);
    assert.match(clientCodeProblem('evil.com/x')!, /not a Target client code/);
    assert.match(connectionNameProblem('  ')!, /name/);
    assert.strictEqual(connectionNameProblem('Acme staging'), undefined);
    assert.strictEqual(baseUrlProblem(''), undefined);
    assert.strictEqual(baseUrlProblem('http://127.0.0.1:4010'), undefined);
    assert.match(baseUrlProblem('http://example.com')!, /https/i);
  });

  it('token: required for a new token connection, empty keeps a stored one', () => {
    assert.match(tokenProblem('', false)!, /No credential/);
    assert.strictEqual(tokenProblem('', true), undefined);
    assert.strictEqual(tokenProblem('abc-123', false), undefined);
    assert.match(tokenProblem('has space', false)!, /no spaces/);
    assert.match(clientSecretProblem('', false)!, /secret/);
    assert.strictEqual(clientSecretProblem('', true), undefined);
    assert.strictEqual(tenantProblem('acmecorp'), undefined);
    assert.match(tenantProblem('a b')!, /tenant/);
  });

  it('ids: + and / refused in a thirdPartyId for fetch and update alike, "." and ".." refused', () => {
    for (const bad of ['a+b', 'a/b', 'a%2Fb']) assert.ok(profileIdProblem('thirdPartyId', bad), bad);
    assert.strictEqual(profileIdProblem('thirdPartyId', ID_EXAMPLES.thirdPartyId), undefined);
    assert.strictEqual(profileIdProblem('pcId', ID_EXAMPLES.pcId), undefined);
    assert.strictEqual(profileIdProblem('marketingCloudVisitorId', ID_EXAMPLES.marketingCloudVisitorId), undefined);
    assert.ok(profileIdProblem('marketingCloudVisitorId', '..'));
    assert.ok(profileIdProblem('pcId', ''));
    assert.ok(profileIdProblem('pcId', 'x'.repeat(129)));
  });

  it('attributes: a pair, a refusal, and POST once the URL passes 8 KB', () => {
    const target = { base: new URL('https://acme.tt.omtrdc.net'), clientCode: 'acme' };
    const id = { idType: 'thirdPartyId' as const, id: 'crm-1001' };
    assert.deepStrictEqual(checkAttributeInput(target, id, [], 'tier=gold'), {
      ok: true,
      pairs: [['tier', 'gold']],
      method: 'GET',
    });
    assert.strictEqual(checkAttributeInput(target, id, [], 'no pair').ok, false);
    const big = checkAttributeInput(target, id, [['a', 'x'.repeat(9000)]], 'b=1');
    assert.ok(big.ok && big.method === 'POST');
  });
});

describe('error hints: one error, each face its own words', () => {
  it('a refused token names the command in the editor and the variable on the command line', () => {
    const error = errorForStatus(401, 'the profile update');
    assert.ok(!error.message.includes('TARGET_PROFILE_TOKEN'), error.message);
    const editor = describeTargetError(error, 'editor');
    const cli = describeTargetError(error, 'cli');
    assert.match(editor, /Set Profile API Token/);
    assert.ok(!editor.includes('TARGET_'), editor);
    assert.match(cli, /TARGET_PROFILE_TOKEN/);
  });

  it('other errors read the same in both', () => {
    const error = new TargetError('network', 'Could not connect');
    assert.strictEqual(describeTargetError(error, 'editor'), 'Could not connect');
    assert.strictEqual(describeTargetError(error, 'cli'), 'Could not connect');
  });
});
