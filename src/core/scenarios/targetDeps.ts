import * as l10n from '@vscode/l10n';
import { validateFile } from '../batch/validator';
import type { DeliveryClient, MboxPreview } from '../delivery/client';
import type { PreviewVisitor } from '../delivery/request';
import type { TargetClient } from '../target/client';
import { TargetError } from '../target/errors';
import { systemClock } from '../target/limiter';
import type { ScenarioDeps, ServedMbox } from './runner';

/** An option's content as text: HTML and redirect URLs as they are, JSON offers as JSON. */
function contentText(content: unknown): string {
  return typeof content === 'string' ? content : (JSON.stringify(content) ?? '');
}

function served(m: MboxPreview): ServedMbox {
  return {
    name: m.name,
    served: m.options.length > 0,
    activity: m.activity,
    experience: m.experience,
    offer: m.offer,
    contents: m.options.map((o) => contentText(o.content)),
  };
}

export interface TargetScenarioOptions {
  pollDelayMs?: number;
  /** The Delivery API client for preview steps (never given the profile API token); none: preview steps error. */
  delivery?: () => Promise<DeliveryClient>;
  /**
   * The property token (a Target Premium workspace's at_property) a preview step sends, given the step's
   * `property` (undefined when it names none); undefined sends none. It is asked before each request, and
   * may throw (a name with no stored token): the step then errors and nothing is sent.
   */
  propertyToken?: (name: string | undefined) => string | undefined | Promise<string | undefined>;
}

/**
 * The runner's dependencies on a real Target client, shared by the command line and the editor.
 * `clientFor(apiVersion)` gives the connection's client, or one for another bulk API version when a
 * batch step asks for it; the caller owns and closes the clients, and the delivery client.
 */
export function targetScenarioDeps(
  clientFor: (apiVersion?: 'v1' | 'v2') => Promise<TargetClient>,
  options: TargetScenarioOptions = {},
): ScenarioDeps {
  const delivery = options.delivery;
  return {
    ...(delivery
      ? {
          async preview(request, signal) {
            const visitor: PreviewVisitor =
              request.idType === 'pcId'
                ? { pcId: request.id }
                : request.idType === 'thirdPartyId'
                  ? { thirdPartyId: request.id }
                  : { marketingCloudVisitorId: request.id };
            // Before the client: a property that has no token sends nothing.
            const propertyToken = await options.propertyToken?.(request.property);
            // Prefetch: a scenario checks what would be served without counting an impression.
            const result = await (
              await delivery()
            ).preview(
              {
                visitor,
                mboxes: request.mboxes,
                ...(request.url === undefined ? {} : { pageUrl: request.url }),
                ...(propertyToken === undefined ? {} : { propertyToken }),
              },
              { signal },
            );
            return result.mboxes.map(served);
          },
        }
      : {}),
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
