import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension';

export const EXTENSION_ID = 'target-profiles-team.target-profiles';

/** Activates the extension and returns its test API, which it gives only to a host running tests. */
export async function activateExtension(): Promise<ExtensionApi> {
  const extension = vscode.extensions.getExtension<ExtensionApi | undefined>(EXTENSION_ID);
  if (!extension) throw new Error(`extension ${EXTENSION_ID} is not loaded in this host`);
  const api = await extension.activate();
  if (!api) {
    throw new Error(
      `extension ${EXTENSION_ID} returned no test API: it gives one only in ExtensionMode.Test, ` +
        'i.e. when the host was started with both extensionDevelopmentPath and extensionTestsPath',
    );
  }
  return api;
}

/**
 * Runs `action` with every modal warning that offers `button` answered with it, as a user clicking
 * it would (a modal cannot be clicked from here). The test shares the extension's `vscode.window`,
 * so the extension sees the answer; other warnings go through untouched.
 */
export async function answeringModal<T>(button: string, action: () => Thenable<T>): Promise<T> {
  const window = vscode.window as unknown as Record<string, (...args: unknown[]) => unknown>;
  const original = window.showWarningMessage;
  window.showWarningMessage = (...args: unknown[]) => {
    const options = args[1] as vscode.MessageOptions | undefined;
    if (options?.modal && args.includes(button)) return Promise.resolve(button);
    return original.apply(vscode.window, args);
  };
  try {
    return await action();
  } finally {
    window.showWarningMessage = original;
  }
}

/** A modal warning the extension showed: its message, detail and buttons. */
export interface ShownModal {
  message: string;
  detail?: string;
  buttons: string[];
}

/**
 * Runs `action` with every modal warning answered as a user would: with its first button when `confirm`,
 * else as if dismissed (Cancel or Escape). Works in any display language, since the button is not named.
 * Returns what `action` returned and the modals shown; other warnings go through untouched.
 */
export async function withModals<T>(
  confirm: boolean,
  action: () => Thenable<T>,
): Promise<{ result: T; modals: ShownModal[] }> {
  const window = vscode.window as unknown as Record<string, (...args: unknown[]) => unknown>;
  const original = window.showWarningMessage;
  const modals: ShownModal[] = [];
  window.showWarningMessage = (...args: unknown[]) => {
    const options = args[1] as vscode.MessageOptions | undefined;
    if (!options?.modal) return original.apply(vscode.window, args);
    const buttons = args.slice(2).map((b) => (typeof b === 'string' ? b : (b as vscode.MessageItem).title));
    modals.push({ message: String(args[0]), detail: options.detail, buttons });
    return Promise.resolve(confirm ? args[2] : undefined);
  };
  try {
    return { result: await action(), modals };
  } finally {
    window.showWarningMessage = original;
  }
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
 * The profile API token every authenticated test connection uses. secrets.test.ts, which index.ts
 * runs after every other file, scans everything the extension wrote or showed for it.
 */
export const KNOWN_TOKEN = 'emulator-token-5f1c9a2e-known-to-tests';

/** The property and trace tokens preview.test.ts stores; secrets.test.ts scans for them like the profile token. */
export const KNOWN_PROPERTY_TOKEN = 'property-token-8d41c0b7-known-to-tests';
export const KNOWN_TRACE_TOKEN = 'trace-token-3e92f6a1-known-to-tests';
/** The at_preview_token of the Activity QA links preview.test.ts pastes; scanned for like the others. */
export const KNOWN_QA_TOKEN = 'qa-preview-token-6b2d7e90-known-to-tests';
