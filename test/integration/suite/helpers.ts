import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension';

export const EXTENSION_ID = 'target-profiles-team.target-profiles';

export async function activateExtension(): Promise<ExtensionApi> {
  const extension = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
  if (!extension) throw new Error(`extension ${EXTENSION_ID} is not loaded in this host`);
  return extension.activate();
}

/** Polls `probe` until it returns something truthy or the time is up (then returns undefined). */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The profile API token every authenticated test connection uses. zz-secrets.test.ts, which runs
 * last, scans everything the extension wrote or showed for it.
 */
export const KNOWN_TOKEN = 'emulator-token-5f1c9a2e-known-to-tests';
