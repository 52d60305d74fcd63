import * as vscode from 'vscode';
import { SAMPLE_CLIENT_CODE, sampleProfiles } from '../../emulator/samples';
import * as path from 'path';
import type { Emulator } from '../../emulator/server';
import { Commands } from '../../contributions';
import type { FeatureRegistration, Services } from '../../services';

/**
 * "Try with the local emulator": a Target look-alike on 127.0.0.1 inside the extension host, with a
 * few sample profiles and a connection to it, so that a new user needs no Adobe account to try
 * every feature. `npm start` runs the emulator outside and names it in TARGET_PROFILES_EMULATOR_URL.
 */
/**
 * The emulator is its own bundle (dist/emulator.js), loaded the first time it is started: most
 * sessions never need it, so it costs neither bundle size nor activation time.
 */
function loadEmulator(): typeof import('../../emulator/server') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(__dirname, 'emulator.js'));
}

const EMULATOR_CLIENT_CODE = SAMPLE_CLIENT_CODE;
const EMULATOR_CONNECTION_NAME = 'Local emulator';

export const register: FeatureRegistration = (_context, services) => {
  let emulator: Emulator | undefined;
  const external = process.env.TARGET_PROFILES_EMULATOR_URL;
  if (external) void connectTo(services, external);
  return vscode.Disposable.from(
    vscode.commands.registerCommand(Commands.startEmulator, async () => {
      if (!emulator) {
        emulator = await loadEmulator().startEmulator({ seed: sampleProfiles, statusDelayMs: 3000 });
        services.log.info(`local emulator listening on ${emulator.url} (client code ${EMULATOR_CLIENT_CODE})`);
      }
      const id = await connectTo(services, emulator.url);
      void vscode.window.showInformationMessage(
        vscode.l10n.t(
          'The local emulator runs at {0}. Try "Update Profile…" with thirdPartyId crm-1001.',
          emulator.url,
        ),
      );
      return { url: emulator.url, connectionId: id };
    }),
    { dispose: () => void emulator?.close() },
  );
};

/** Adds (or points at the new address) the emulator's connection and makes it active. */
async function connectTo(services: Services, url: string): Promise<string> {
  const existing = services.connections
    .list()
    .find((c) => c.name === EMULATOR_CONNECTION_NAME && c.clientCode === EMULATOR_CLIENT_CODE);
  const connection = {
    id: existing?.id ?? services.connections.newId(),
    name: EMULATOR_CONNECTION_NAME,
    clientCode: EMULATOR_CLIENT_CODE,
    apiVersion: 'v2' as const,
    baseUrl: url,
  };
  await services.connections.save(connection);
  await services.connections.setActive(connection.id);
  return connection.id;
}
