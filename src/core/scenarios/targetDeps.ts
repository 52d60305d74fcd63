import * as l10n from '@vscode/l10n';
import { validateFile } from '../batch/validator';
import type { TargetClient } from '../target/client';
import { TargetError } from '../target/errors';
import { systemClock } from '../target/limiter';
import type { ScenarioDeps } from './runner';

/**
 * The runner's dependencies on a real Target client, shared by the command line and the editor.
 * `clientFor(apiVersion)` gives the connection's client, or one for another bulk API version when a
 * batch step asks for it; the caller owns and closes the clients.
 */
export function targetScenarioDeps(
  clientFor: (apiVersion?: 'v1' | 'v2') => Promise<TargetClient>,
  options: { pollDelayMs?: number } = {},
): ScenarioDeps {
  return {
    async updateProfile(idType, id, attributes, signal) {
      const client = await clientFor();
      return client.updateProfile(
        { id: idType === 'pcId' ? { pcId: id } : { thirdPartyId: id }, attributes },
        { signal },
      );
    },
    async fetchProfile(idType, id, signal) {
      const client = await clientFor();
      const lookup =
        idType === 'pcId'
          ? { pcId: id }
          : idType === 'thirdPartyId'
            ? { thirdPartyId: id }
            : { marketingCloudVisitorId: id };
      const result = await client.fetchProfile(lookup, { signal });
      return result.found ? { found: true, profile: result.profile } : { found: false, message: result.message };
    },
    async submitBatch(file, apiVersion, signal) {
      // As `submit` does: a file with errors is refused before anything is sent.
      const validation = await validateFile(file, { signal }).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'EISDIR') {
          throw new TargetError('usage', l10n.t('Cannot read the batch file {0}.', file));
        }
        throw error;
      });
      const errors = validation.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length > 0) {
        const first = errors[0];
        throw new TargetError(
          'rejected',
          l10n.t(
            '{0} has {1} error(s), nothing was sent; first: line {2}: {3} {4}',
            file,
            String(errors.length),
            String(first.line + 1),
            first.code,
            first.message,
          ),
        );
      }
      const client = await clientFor(apiVersion);
      return (await client.submitBatch(file, { signal })).map((u) => u.batchStatus);
    },
    async waitForBatch(url, signal) {
      const client = await clientFor();
      return client.waitForBatch(url, { signal, pollDelayMs: options.pollDelayMs });
    },
    sleep: (ms, signal) => systemClock.sleep(ms, signal),
  };
}
