import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { count, useDisplayLanguage } from '../../../src/core/displayLanguage';
import { fixesFor } from '../../../src/core/batch/fixes';
import { validateText } from '../../../src/core/batch/validator';
import { repoRoot } from '../../support/repoRoot';

const root = repoRoot;
const spanish = JSON.parse(fs.readFileSync(path.join(root, 'l10n', 'bundle.l10n.es.json'), 'utf8')) as Record<
  string,
  string
>;

describe('core messages in the display language', () => {
  afterEach(() => useDisplayLanguage('en', undefined));

  it('are English, with English digit grouping, until the extension hands over a bundle (the CLI never does)', () => {
    const { diagnostics } = validateText('batch=pcId,a\n1,x&y\n');
    assert.strictEqual(
      diagnostics[0].message,
      'A raw & ends the upload at this point (the server reads it as the next form field); encode it as %26',
    );
    assert.strictEqual(count(1048576), '1,048,576');
  });

  it('come from the Spanish bundle, arguments and digit grouping included', () => {
    useDisplayLanguage('es', spanish);
    const text = 'batch=pcId,profile.age\n1,x&y\n1,2,3\n' + '2,' + 'v'.repeat(1300) + '\n';
    const { diagnostics } = validateText(text);
    const messages = diagnostics.map((d) => `${d.code} ${d.message}`);
    assert.ok(
      messages.includes('TP004 Escriba solo el nombre "age": la API masiva añade profile. por su cuenta'),
      messages.join('\n'),
    );
    assert.ok(
      messages.some((m) => m.startsWith('TP020 Un & sin codificar termina la carga')),
      messages.join('\n'),
    );
    assert.ok(
      messages.includes('TP014 Este id ya aparece en la línea 2; no está definido qué fila prevalece'),
      messages.join('\n'),
    );
    assert.ok(
      messages.includes('TP025 Este valor tiene 1300 caracteres una vez descodificado; Target guarda como máximo 256'),
      messages.join('\n'),
    );
    assert.strictEqual(count(1048576), '1.048.576');
    const tp004 = diagnostics.find((d) => d.code === 'TP004');
    assert.ok(tp004);
    assert.deepStrictEqual(
      fixesFor(tp004, (i) => text.split('\n')[i], text.split('\n').length).map((f) => f.title),
      ['Quitar profile. del nombre'],
    );
  });

  it('fall back to English for a string the bundle lacks, and to English grouping for an unknown language tag', () => {
    useDisplayLanguage('not a language tag!', { unrelated: 'x' });
    assert.strictEqual(validateText('batch=pcId,a\n1,x&y\n').diagnostics[0].code, 'TP020');
    assert.match(validateText('batch=pcId,a\n1,x&y\n').diagnostics[0].message, /^A raw & ends the upload/);
    assert.strictEqual(count(1234567), '1,234,567');
  });
});
