import * as assert from 'assert';
import { BatchReader, formDecode } from '../../../src/emulator/batchReader';

/** Feeds `body` to a reader in pieces of `size` bytes; what it read. */
function read(body: Buffer, size: number) {
  const rows: string[] = [];
  const reader = new BatchReader((row) => rows.push(row));
  for (let i = 0; i < body.length; i += size) reader.write(body.subarray(i, i + size));
  reader.end();
  return { header: reader.header, rows, count: reader.rows, bytes: reader.bytes, sawBatchField: reader.sawBatchField };
}

describe('emulator: the streaming batch reader', () => {
  it('reads the same header and rows whatever the pieces the body arrives in', () => {
    const body = Buffer.from(
      'x%3D=1&batch=thirdPartyId,a%2Cb,c\r\ncrm-1,%C3%A9%2C+z,q\ncrm-2,é😀\n\n' +
        `crm-3,${'y'.repeat(300)}\r\n&other=batch&batch=pcId,a\n1,2\n`,
    );
    const whole = read(body, body.length);
    assert.deepStrictEqual(whole.header, ['thirdPartyId', 'a,b', 'c']);
    assert.deepStrictEqual(whole.rows, ['crm-1,%C3%A9%2C+z,q', 'crm-2,é😀', `crm-3,${'y'.repeat(300)}`]);
    assert.strictEqual(whole.count, 3);
    assert.strictEqual(whole.bytes, body.length);
    assert.ok(whole.sawBatchField);
    for (let size = 1; size <= 40; size++) assert.deepStrictEqual(read(body, size), whole, `pieces of ${size} bytes`);
  });

  it('takes a raw body starting with batch= as the field, and the last row without a line end', () => {
    const { header, rows } = read(Buffer.from('batch=pcId,a\np1,x\np2,y'), 5);
    assert.deepStrictEqual(header, ['pcId', 'a']);
    assert.deepStrictEqual(rows, ['p1,x', 'p2,y']);
  });

  it('reads nothing from a body without a batch field', () => {
    const result = read(Buffer.from('other=pcId,a\n1,2\n&more=3'), 4);
    assert.strictEqual(result.sawBatchField, false);
    assert.strictEqual(result.header, undefined);
    assert.deepStrictEqual(result.rows, []);
  });

  it('form-decodes a field: + is a space, %XX a byte, a malformed escape stays as written', () => {
    assert.strictEqual(formDecode('a+b%2Cc%C3%A9'), 'a b,cé');
    assert.strictEqual(formDecode('100%'), '100%');
    assert.strictEqual(formDecode('%zz%41'), '%zzA');
    assert.strictEqual(formDecode('plain'), 'plain');
  });
});
