import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { useDisplayLanguage } from '../../../src/core/displayLanguage';
import { parseAttributes } from '../../../src/core/profiles/attributes';
import { runScenario, type ScenarioDeps } from '../../../src/core/scenarios/runner';
import { parseScenario } from '../../../src/core/scenarios/scenario';
import { TargetClient, buildProfileUpdateRequest } from '../../../src/core/target/client';
import { checkSafeUrl, resolveBaseUrl } from '../../../src/core/target/connection';
import { HttpRequest, Transport } from '../../../src/core/target/http';
import { RateLimiter } from '../../../src/core/target/limiter';
import { FakeClock, rejection } from '../../support/fakeClock';
import { repoRoot } from '../../support/repoRoot';

/**
 * The core's own messages (errors of the Target client, scenario results and problems, input checks)
 * follow the display language the extension hands over, like the batch diagnostics do; the command
 * line never hands one over, so its output stays English.
 */
const root = repoRoot;
const spanish = JSON.parse(fs.readFileSync(path.join(root, 'l10n', 'bundle.l10n.es.json'), 'utf8')) as Record<
  string,
  string
>;

function thrownMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

function client(transport: Transport, clock = new FakeClock()): TargetClient {
  return new TargetClient({
    connection: { clientCode: 'acme', apiVersion: 'v2' },
    transport,
    clock,
    retry: { maxAttempts: 1 },
    limiter: new RateLimiter(1000),
    timeoutMs: 1500,
  });
}

/** A profile that holds tier=silver, fetched once (a verify with a budget of 0 s). */
function verifyDeps(): ScenarioDeps {
  return {
    updateProfile: async () => ({ success: true, message: '' }),
    fetchProfile: async () => ({ found: true, profile: { profileAttributes: { tier: { value: 'silver' } } } }),
    submitBatch: async () => [],
    waitForBatch: async () => ({ status: 'complete' }),
    sleep: async () => undefined,
  };
}

/** One message of each kind, built the way the editor gets them. */
async function coreMessages(): Promise<string[]> {
  const refused: Transport = async () => {
    throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  };
  const hang: Transport = (_req: HttpRequest, signal: AbortSignal) =>
    new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
  const clock = new FakeClock();
  const scenario = (expect: Record<string, string>) =>
    parseScenario(JSON.stringify({ steps: [{ type: 'verify', idType: 'pcId', id: 'p1', expect }] })).scenario!;
  const differs = await runScenario(scenario({ tier: 'gold' }), verifyDeps(), { verifyWithinSeconds: 0 });
  const matches = await runScenario(scenario({ tier: 'silver' }), verifyDeps(), { verifyWithinSeconds: 0 });
  const notParsed = parseAttributes('');
  return [
    thrownMessage(() => resolveBaseUrl({ clientCode: 'Acme', apiVersion: 'v2' })),
    thrownMessage(() =>
      buildProfileUpdateRequest(new URL('https://acme.tt.omtrdc.net'), 'acme', { id: { pcId: 'p1' }, attributes: [] }),
    ),
    thrownMessage(() => checkSafeUrl('http://example.com', 'base URL')),
    ((await rejection(client(refused).updateProfile({ id: { pcId: 'p1' }, attributes: { tier: 'gold' } }))) as Error)
      .message,
    ((await rejection(clock.run(client(hang, clock).fetchProfile({ pcId: 'p1' })))) as Error).message,
    differs.steps[0].message,
    matches.steps[0].message,
    parseScenario('[]').problems[0].message,
    notParsed.ok ? '' : notParsed.message,
  ];
}

describe('core messages (client, scenarios, input checks) in the display language', () => {
  afterEach(() => useDisplayLanguage('en', undefined));

  it('are English until the extension hands over a bundle, as the command line prints them', async () => {
    assert.deepStrictEqual(await coreMessages(), [
      "'Acme' is not a Target client code: use only lower-case letters and digits, as shown in Target under Administration → Implementation.",
      'Give at least one attribute to update (NAME=VALUE).',
      'The base URL must use https:// (plain http:// is allowed only for 127.0.0.1, localhost and [::1]): http://example.com',
      'Could not connect to acme.tt.omtrdc.net for the profile update (connection refused).',
      'No answer from acme.tt.omtrdc.net within 1.5 s for the profile fetch.',
      'tier: expected "gold", got "silver" (after 0 s)',
      '1 attribute(s) match.',
      'A scenario is an object with "steps"; this is an array.',
      'Type name=value, paste a=1&b=2, or a JSON object.',
    ]);
  });

  it('come from the Spanish bundle, with the call and URL names and the decimal comma in Spanish too', async () => {
    useDisplayLanguage('es', spanish);
    assert.deepStrictEqual(await coreMessages(), [
      "'Acme' no es un código de cliente de Target: use solo letras minúsculas y dígitos, tal como aparece en Target en Administración → Implementación.",
      'Indique al menos un atributo que actualizar (NAME=VALUE).',
      'La URL base debe usar https:// (http:// sin cifrar solo se permite para 127.0.0.1, localhost y [::1]): http://example.com',
      'No se pudo conectar con acme.tt.omtrdc.net para la actualización del perfil (conexión rechazada).',
      'No hubo respuesta de acme.tt.omtrdc.net en 1,5 s para la consulta del perfil.',
      'tier: se esperaba "gold"; se obtuvo "silver" (después de 0 s)',
      '1 atributo(s) coinciden.',
      'Un escenario es un objeto con "steps"; esto es una matriz.',
      'Escriba nombre=valor, o pegue a=1&b=2 o un objeto JSON.',
    ]);
  });

  it('go back to English when the bundle is taken away', async () => {
    useDisplayLanguage('es', spanish);
    useDisplayLanguage('en', undefined);
    assert.strictEqual(
      (await coreMessages())[3],
      'Could not connect to acme.tt.omtrdc.net for the profile update (connection refused).',
    );
  });
});
