import * as assert from 'assert';
import { countSafelyFixable, fixAll, fixesFor } from '../../../../src/core/batch/fixes';
import type { RuleCode } from '../../../../src/core/batch/rules';
import { validateText } from '../../../../src/core/batch/validator';
import { applyTextEdits } from '../../../support/textEdits';

/** Applies the first fix of the first diagnostic with `code` and returns the new text. */
function fixOnce(text: string, code: RuleCode): string {
  const lines = text.split('\n');
  const d = validateText(text).diagnostics.find((x) => x.code === code);
  assert.ok(d, `no ${code} in ${JSON.stringify(text)}`);
  const fixes = fixesFor(d, (i) => lines[i], lines.length);
  assert.ok(fixes.length > 0, `no fix for ${code}`);
  assert.strictEqual(fixes[0].code, code);
  return applyTextEdits(text, fixes[0].edits);
}

function codesOf(text: string): RuleCode[] {
  return validateText(text).diagnostics.map((d) => d.code);
}

describe('batch quick fixes', () => {
  const cases: [RuleCode, string, string][] = [
    ['TP001', 'pcId,a\n1,x\n', 'batch=pcId,a\n1,x\n'],
    ['TP001', 'BATCH=pcId,a\n1,x\n', 'batch=pcId,a\n1,x\n'],
    ['TP001', '\uFEFFbatch=pcId,a\n1,x\n', 'batch=pcId,a\n1,x\n'],
    ['TP001', '\n\nbatch=pcId,a\n1,x\n', 'batch=pcId,a\n1,x\n'],
    ['TP001', '  batch=pcId,a\n1,x\n', 'batch=pcId,a\n1,x\n'],
    ['TP002', 'batch=mboxPC,a\n1,x\n', 'batch=pcId,a\n1,x\n'],
    ['TP002', 'batch=tntId,a\n1,x\n', 'batch=pcId,a\n1,x\n'],
    ['TP002', 'batch=mbox3rdPartyId,a\n1,x\n', 'batch=thirdPartyId,a\n1,x\n'],
    ['TP002', 'batch=thirdpartyid,a\n1,x\n', 'batch=thirdPartyId,a\n1,x\n'],
    ['TP004', 'batch=pcId,profile.age\n1,3\n', 'batch=pcId,age\n1,3\n'],
    ['TP005', 'batch=pcId,,age\n1,,3\n2,,5\n', 'batch=pcId,age\n1,3\n2,5\n'],
    ['TP005', 'batch=pcId,age,\n1,3,\n', 'batch=pcId,age\n1,3\n'],
    ['TP010', 'batch=pcId,a\n1,x,,\n', 'batch=pcId,a\n1,x\n'],
    ['TP010', 'batch=pcId,a\n1,x,y,z\n', 'batch=pcId,a\n1,x%2Cy%2Cz\n'],
    ['TP020', 'batch=pcId,a\n1,x&y\n', 'batch=pcId,a\n1,x%26y\n'],
    ['TP021', 'batch=pcId,a\n1,100%\n', 'batch=pcId,a\n1,100%25\n'],
    ['TP022', 'batch=pcId,a\n1,x+y\n', 'batch=pcId,a\n1,x%2By\n'],
    ['TP023', 'batch=pcId,a\n1,"x,y"\n', 'batch=pcId,a\n1,x%2Cy\n'],
    ['TP024', 'batch=pcId,a\n1,caf\u00e9\n', 'batch=pcId,a\n1,caf%C3%A9\n'],
    ['TP027', 'batch=pcId,a\n1, x\n', 'batch=pcId,a\n1,x\n'],
    ['TP028', 'batch=pcId,a\n1,x\r\n2,y\n', 'batch=pcId,a\n1,x\n2,y\n'],
    ['TP028', 'batch=pcId,a\n1,x\n\n2,y\n', 'batch=pcId,a\n1,x\n2,y\n'],
    ['TP028', 'batch=pcId,a\n1,x\n  ', 'batch=pcId,a\n1,x\n'],
  ];
  for (const [code, before, after] of cases) {
    it(`${code}: ${JSON.stringify(before)}`, () => {
      const fixed = fixOnce(before, code);
      assert.strictEqual(fixed, after);
      assert.deepStrictEqual(codesOf(fixed), []);
    });
  }

  it('offers no TP005 fix when a row has a value in the empty column', () => {
    const text = 'batch=pcId,,age\n1,x,3\n';
    const lines = text.split('\n');
    const d = validateText(text).diagnostics.find((x) => x.code === 'TP005')!;
    assert.deepStrictEqual(
      fixesFor(d, (i) => lines[i], lines.length),
      [],
    );
  });

  it('offers no TP002 rename when the intent is unclear, and nothing for rules without a fix', () => {
    for (const text of ['batch=ecid,a\n1,x\n', 'batch=pcId,a,a\n1,x\n1,y\n']) {
      const lines = text.split('\n');
      for (const d of validateText(text).diagnostics) {
        assert.deepStrictEqual(
          fixesFor(d, (i) => lines[i], lines.length),
          [],
          d.code,
        );
      }
    }
  });

  it('fixAll removes every safely fixable problem in one set of edits', () => {
    const text = '\n\uFEFF Batch=pcId, profile.age ,city\r\n1,a&b+c,100%\r\n\n2, caf\u00e9\t\u0000 ,x\n\n';
    const lines = text.split('\n');
    const edits = fixAll(lines.length, (i) => lines[i], validateText(text).diagnostics);
    const fixed = applyTextEdits(text, edits);
    assert.strictEqual(fixed, 'batch=pcId,age,city\n1,a%26b%2Bc,100%25\n2,caf%C3%A9%09%00,x\n');
    assert.deepStrictEqual(codesOf(fixed), []);
  });

  it('fixAll leaves rules without a safe fix alone', () => {
    const text = 'batch=pcId,a\n1,x,y\n';
    const lines = text.split('\n');
    assert.deepStrictEqual(
      fixAll(lines.length, (i) => lines[i], validateText(text).diagnostics),
      [],
    );
  });

  it('counts the problems fix-all fixes, not those it leaves alone', () => {
    const text = 'batch=pcId,profile.tier,note\n1,a&b,50%\n2,x,y,z\n';
    const lines = text.split('\n');
    const diagnostics = validateText(text).diagnostics;
    assert.ok(
      diagnostics.some((d) => d.code === 'TP010'),
      'the extra field (no safe fix) is reported',
    );
    assert.strictEqual(
      countSafelyFixable(lines.length, (i) => lines[i], diagnostics),
      3,
    );
    assert.strictEqual(
      countSafelyFixable(1, () => 'batch=pcId,age', []),
      0,
    );
  });
});
