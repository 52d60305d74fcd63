import * as assert from 'assert';
import { ruleDocsUrl, rules, RuleCode } from '../../../../src/core/batch/rules';
import { fixAll } from '../../../../src/core/batch/fixes';
import { applyTextEdits } from '../../../support/textEdits';
import { BatchDiagnostic, validateText } from '../../../../src/core/batch/validator';

const H = 'batch=thirdPartyId,age,city\n';

function codes(text: string): RuleCode[] {
  return validateText(text).diagnostics.map((d) => d.code);
}

function only(text: string, code: RuleCode): BatchDiagnostic[] {
  return validateText(text).diagnostics.filter((d) => d.code === code);
}

function at(d: BatchDiagnostic): [number, number, number, number] {
  return [d.line, d.column, d.endLine, d.endColumn];
}

describe('batch rules catalogue', () => {
  it('has a severity, title and docs anchor for every code', () => {
    assert.strictEqual(Object.keys(rules).length, 28);
    assert.strictEqual(rules.TP010.severity, 'error');
    assert.strictEqual(rules.TP026.severity, 'info');
    assert.strictEqual(
      ruleDocsUrl('TP010'),
      'https://github.com/target-profiles/target-profiles-vscode/blob/main/docs/rules.md#tp010',
    );
  });

  it('accepts the documented sample without any diagnostic', () => {
    const sample =
      'batch=pcId,param1,param2,param3,param4\n123,value1\n124,value1,,,value4\n125,,value2\n126,value1,value2,value3,value4\n';
    const result = validateText(sample);
    assert.deepStrictEqual(result.diagnostics, []);
    assert.deepStrictEqual(result.summary, {
      bytes: sample.length,
      rows: 4,
      idColumn: 'pcId',
      attributes: ['param1', 'param2', 'param3', 'param4'],
      uploads: 1,
    });
  });

  it('does not flag what the catalogue says is fine', () => {
    const fine = [
      H + 'a,30\n', // shorter row
      H + 'a,,Paris\n', // empty middle field
      H + 'a,30,Paris', // no final LF
      H + 'a,30,Caf%C3%A9%2C%26%2B%22\n', // percent-encoded UTF-8 and special characters
      H + 'a,30,x\nb,31,y\n',
    ];
    for (const text of fine) assert.deepStrictEqual(codes(text), [], text);
  });

  it('uses severities from the table and never reports related information except TP006/TP014', () => {
    const all = validateText('\uFEFFBatch=pcid,profile.a,,a,a\n1,x&y,%zz,"q,r",+,\t\u00e9 ,1,1\n1,\n\n');
    for (const d of all.diagnostics) {
      assert.strictEqual(d.severity, rules[d.code].severity);
      if (d.related) assert.ok(d.code === 'TP006' || d.code === 'TP014');
    }
  });

  describe('TP001 start of the file', () => {
    it('flags a missing prefix at the start of line 1', () => {
      assert.deepStrictEqual(only('pcId,a\n1,x\n', 'TP001').map(at), [[0, 0, 0, 0]]);
    });
    it('flags the wrong case, a BOM, spaces and blank lines, each at its own range', () => {
      assert.deepStrictEqual(only('Batch=pcId,a\n', 'TP001').map(at), [[0, 0, 0, 6]]);
      assert.deepStrictEqual(only('\uFEFFbatch=pcId,a\n', 'TP001').map(at), [[0, 0, 0, 1]]);
      assert.deepStrictEqual(only('  batch=pcId,a\n', 'TP001').map(at), [[0, 0, 0, 2]]);
      assert.deepStrictEqual(only('\n \nbatch=pcId,a\n1,x\n', 'TP001').map(at), [[0, 0, 2, 0]]);
    });
    it('flags an empty file once', () => {
      assert.deepStrictEqual(codes(''), ['TP001']);
      assert.deepStrictEqual(codes('\n\n'), ['TP001']);
    });
    it('accepts batch= exactly', () => assert.deepStrictEqual(only(H + 'a,1\n', 'TP001'), []));
  });

  describe('TP002 id column', () => {
    it('flags other names, case variants and an empty column', () => {
      for (const name of ['pcid', 'mboxPC', 'tntId', 'mbox3rdPartyId', 'ecid', 'marketingCloudVisitorId', '']) {
        const found = only(`batch=${name},a\n`, 'TP002');
        assert.deepStrictEqual(found.map(at), [[0, 6, 0, 6 + name.length]], name);
      }
    });
    it('accepts pcId and thirdPartyId', () => {
      assert.deepStrictEqual(only('batch=pcId,a\n', 'TP002'), []);
      assert.deepStrictEqual(only('batch=thirdPartyId,a\n', 'TP002'), []);
    });
  });

  it('TP003 flags a header without attributes, not one with', () => {
    assert.deepStrictEqual(only('batch=pcId\n1\n', 'TP003').map(at), [[0, 0, 0, 10]]);
    assert.deepStrictEqual(only('batch=pcId,a\n', 'TP003'), []);
  });

  it('TP004 flags profile. names', () => {
    assert.deepStrictEqual(only('batch=pcId,profile.age,profile.city\n', 'TP004').map(at), [
      [0, 11, 0, 22],
      [0, 23, 0, 35],
    ]);
    assert.deepStrictEqual(only('batch=pcId,profileage\n', 'TP004'), []);
  });

  it('TP005 flags each empty name, including a trailing comma', () => {
    assert.deepStrictEqual(only('batch=pcId,,age,\n', 'TP005').map(at), [
      [0, 10, 0, 11],
      [0, 15, 0, 16],
    ]);
    assert.deepStrictEqual(only('batch=pcId,age\n', 'TP005'), []);
  });

  it('TP006 flags each later duplicate with related information to the first', () => {
    const found = only('batch=pcId,age,Age,age,age\n', 'TP006');
    assert.deepStrictEqual(found.map(at), [
      [0, 19, 0, 22],
      [0, 23, 0, 26],
    ]);
    assert.deepStrictEqual(found[0].related, [
      { line: 0, column: 11, endLine: 0, endColumn: 14, message: 'first named here' },
    ]);
    assert.deepStrictEqual(only('batch=pcId,age,Age\n', 'TP006'), []);
  });

  it('TP007 flags long names and unusual characters, not plain ones', () => {
    assert.strictEqual(only(`batch=pcId,${'a'.repeat(129)}\n`, 'TP007').length, 1);
    assert.strictEqual(only('batch=pcId,my.name,caf%C3%A9\n', 'TP007').length, 2);
    assert.deepStrictEqual(only(`batch=pcId,${'a'.repeat(128)},a_b-C9\n`, 'TP007'), []);
  });

  it('TP010 flags the extra fields of each long row', () => {
    const text = 'batch=pcId,a,b\n1,x,y,z\n2,x,y\n3,x,y,,\n';
    assert.deepStrictEqual(only(text, 'TP010').map(at), [
      [1, 5, 1, 7],
      [3, 5, 3, 7],
    ]);
  });

  it('TP011 flags rows without an id', () => {
    assert.deepStrictEqual(only(H + ',30\n1,30\n', 'TP011').map(at), [[1, 0, 1, 1]]);
    assert.deepStrictEqual(only(H + '1,30\n', 'TP011'), []);
  });

  it('TP012 flags + and / in a thirdPartyId, raw or encoded, but not in a pcId', () => {
    assert.deepStrictEqual(
      only(H + 'a+b,1\na/b,1\na%2Bb,1\na%2fb,1\nab,1\n', 'TP012').map((d) => d.line),
      [1, 2, 3, 4],
    );
    assert.deepStrictEqual(only('batch=pcId,a\na/b,1\n', 'TP012'), []);
    assert.deepStrictEqual(codes(H + 'a+b,1\n'), ['TP012'], 'no TP022 on top of TP012');
  });

  it('TP013 flags ids over 256 (thirdPartyId) or 128 (pcId) characters', () => {
    assert.strictEqual(only(H + 'x'.repeat(257) + ',1\n', 'TP013').length, 1);
    assert.strictEqual(only(H + 'x'.repeat(256) + ',1\n', 'TP013').length, 0);
    assert.strictEqual(only('batch=pcId,a\n' + 'x'.repeat(129) + ',1\n', 'TP013').length, 1);
    assert.strictEqual(only('batch=pcId,a\n' + 'x'.repeat(128) + ',1\n', 'TP013').length, 0);
  });

  it('TP014 flags each later row of an id, pointing at the first; decoded ids compare equal', () => {
    const found = only(H + 'a@b,1\nc,1\na@b,2\na%40b,3\n', 'TP014');
    assert.deepStrictEqual(found.map(at), [
      [3, 0, 3, 3],
      [4, 0, 4, 5],
    ]);
    assert.deepStrictEqual(found[1].related, [
      { line: 1, column: 0, endLine: 1, endColumn: 3, message: 'first row with this id' },
    ]);
    assert.deepStrictEqual(only(H + 'a,1\nb,1\n', 'TP014'), []);
  });

  it('TP020 flags every raw &, in names too', () => {
    assert.deepStrictEqual(only('batch=pcId,a&b\n1,x&y&z\n', 'TP020').map(at), [
      [0, 12, 0, 13],
      [1, 3, 1, 4],
      [1, 5, 1, 6],
    ]);
    assert.deepStrictEqual(only(H + '1,x%26y\n', 'TP020'), []);
  });

  it('TP021 flags % without two hex digits', () => {
    assert.deepStrictEqual(only(H + '1,100%,%4,%zz,%4F\n', 'TP021').map(at), [
      [1, 5, 1, 6],
      [1, 7, 1, 8],
      [1, 10, 1, 11],
    ]);
  });

  it('TP022 flags raw + in values', () => {
    assert.deepStrictEqual(only(H + '1,a+b\n', 'TP022').map(at), [[1, 3, 1, 4]]);
    assert.deepStrictEqual(only(H + '1,a%2Bb\n', 'TP022'), []);
  });

  it('TP023 flags quotes, covering a quoted field split by its comma', () => {
    assert.deepStrictEqual(only('batch=pcId,a,b,c\n1,"x,y",z\n2,ab"c\n', 'TP023').map(at), [
      [1, 2, 1, 7],
      [2, 2, 2, 6],
    ]);
    assert.deepStrictEqual(only(H + '1,%22x%22\n', 'TP023'), []);
  });

  it('TP024 flags unencoded non-ASCII, tabs and control characters as runs', () => {
    assert.deepStrictEqual(only(H + '1,caf\u00e9\u00e9,a\tb,\u0000,\ud83d\ude00\n', 'TP024').map(at), [
      [1, 5, 1, 7],
      [1, 9, 1, 10],
      [1, 12, 1, 13],
      [1, 14, 1, 16],
    ]);
    assert.deepStrictEqual(only(H + '1,caf%C3%A9\n', 'TP024'), []);
  });

  it('TP025 flags values over 256 characters after decoding', () => {
    assert.strictEqual(only(H + '1,' + 'v'.repeat(257) + '\n', 'TP025').length, 1);
    assert.strictEqual(only(H + '1,' + '%C3%A9'.repeat(256) + '\n', 'TP025').length, 0);
    assert.strictEqual(only(H + '1,' + '%C3%A9'.repeat(257) + '\n', 'TP025').length, 1);
  });

  it('TP026 flags rows with an id and no value', () => {
    assert.deepStrictEqual(only(H + 'a\nb,,\nc,,x\n', 'TP026').map(at), [
      [1, 0, 1, 1],
      [2, 0, 2, 3],
    ]);
  });

  it('TP027 flags leading and trailing spaces or tabs', () => {
    assert.deepStrictEqual(only('batch=pcId, a\n1 ,x\t\n', 'TP027').map(at), [
      [0, 11, 0, 12],
      [1, 1, 1, 2],
      [1, 4, 1, 5],
    ]);
    assert.deepStrictEqual(only(H + '1,a b\n', 'TP027'), []);
  });

  it('reports a tab at the edge of a field under both rules it breaks: TP027 and TP024', () => {
    const text = H + '1,\tx,y\t,\t\n';
    assert.deepStrictEqual(only(text, 'TP027').map(at), [
      [1, 2, 1, 3],
      [1, 6, 1, 7],
      [1, 8, 1, 9],
    ]);
    assert.deepStrictEqual(only(text, 'TP024').map(at), [
      [1, 2, 1, 3],
      [1, 6, 1, 7],
      [1, 8, 1, 9],
    ]);
    // Fix-all trims the edge tabs: encoding them (TP024's fix) would keep them in the value.
    const lines = text.split('\n');
    const edits = fixAll(lines.length, (i) => lines[i], validateText(text).diagnostics);
    assert.strictEqual(applyTextEdits(text, edits), H + '1,x,y,\n');
  });

  it('TP028 flags blank lines and CRs, but not the end after a final LF', () => {
    assert.deepStrictEqual(only(H + '1,a\r\n\n  \n2,b\rc\n', 'TP028').map(at), [
      [1, 3, 1, 4],
      [2, 0, 2, 0],
      [3, 0, 3, 2],
      [4, 3, 4, 4],
    ]);
    assert.deepStrictEqual(only(H + '1,a\n', 'TP028'), []);
  });

  it('TP029 flags a file whose rows are all empty of values', () => {
    assert.deepStrictEqual(only(H + 'a\nb,,\n', 'TP029').map(at), [[0, 0, 0, 27]]);
    assert.deepStrictEqual(only(H + 'a\nb,,1\n', 'TP029'), []);
    assert.deepStrictEqual(only(H, 'TP029'), []);
  });

  it('TP030 flags 50 MB or more and says how many uploads', () => {
    const row = 'id0000000,' + 'v'.repeat(89) + '\n'; // 100 bytes
    const big = 'batch=pcId,a\n' + row.repeat(500_000);
    const found = only(big, 'TP030');
    assert.strictEqual(found.length, 1);
    assert.match(found[0].message, /split it into 2 uploads/);
    assert.strictEqual(validateText(big).summary.uploads, 2);
    assert.deepStrictEqual(only(big.slice(0, 49_999_999), 'TP030'), []);
  });

  it('TP031 flags more than 500,000 rows and says how many uploads', () => {
    const text = 'batch=pcId,a\n' + '1,x\n'.repeat(500_001);
    const found = only(text, 'TP031');
    assert.strictEqual(found.length, 1);
    assert.match(found[0].message, /split it into 2 uploads/);
    assert.deepStrictEqual(only('batch=pcId,a\n' + '1,x\n'.repeat(500_000), 'TP031'), []);
  });

  it('TP032 flags rows with more than 64 KB of decoded attribute data', () => {
    const header = 'batch=pcId,' + Array.from({ length: 300 }, (_, i) => `a${i}`).join(',') + '\n';
    const values = Array.from({ length: 300 }, () => 'v'.repeat(250)).join(',');
    assert.strictEqual(only(header + '1,' + values + '\n', 'TP032').length, 1);
    assert.strictEqual(only(header + '1,' + values.slice(0, 60_000) + '\n', 'TP032').length, 0);
  });

  it('TP033 flags a line over 1 MiB and carries on', () => {
    const text = H + '1,' + 'v'.repeat(1024 * 1024) + '\n2,x&\n';
    const found = validateText(text).diagnostics;
    assert.deepStrictEqual(
      found.map((d) => d.code),
      ['TP033', 'TP020'],
    );
    assert.deepStrictEqual(at(found[0]), [1, 0, 1, 1024 * 1024 + 2]);
    assert.deepStrictEqual(codes(H + '1,' + 'v'.repeat(1000) + '\n'), ['TP025']);
  });

  it('survives hostile input', () => {
    const hostile = [
      '\u0000'.repeat(1000),
      'batch=pcId,' + Array.from({ length: 10_000 }, (_, i) => `c${i}`).join(',') + '\n1,' + ','.repeat(20_000),
      'batch=pcId,a\n1,' + '%'.repeat(5000),
      '\r\r\r\rbatch=\r',
      '\ud800batch=pcId,\udc00\n\ud800,\udfff',
      '"'.repeat(500) + '\n' + '",'.repeat(500),
    ];
    for (const text of hostile) {
      const result = validateText(text);
      assert.ok(Array.isArray(result.diagnostics));
      assert.ok(result.diagnostics.length > 0);
    }
  });
});
