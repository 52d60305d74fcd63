import * as vscode from 'vscode';
import { ID_EXAMPLES, checkAttributeInput, profileIdProblem } from '../../core/flowInput';
import type { AttributePairs } from '../../core/profiles/attributes';
import { compareAttributes, verifyDelays, type VerifyReport } from '../../core/profiles/verify';
import {
  buildProfileUpdateRequest,
  profileFetchUrl,
  type FetchResult,
  type ProfileLookup,
} from '../../core/target/client';
import { isTargetError } from '../../core/target/errors';
import { resolveBaseUrl } from '../../core/target/connection';
import { Commands, SETTINGS_SECTION } from '../../contributions';
import { connectionArg, type Connection } from '../../services/connectionStore';
import type { HistoryEntry } from '../../services/historyStore';
import type { FeatureRegistration, Services } from '../../services';
import { CredentialGuard } from '../../services/credentialGuard';
import { askSteps, type PickStep, type Step } from '../../services/steps';
import { describeError } from '../../services/targetAccess';
import { PROFILE_SCHEME, ProfileDocuments, parseProfileUri, profileUri, type IdType } from './profileDocuments';

/** What Update Profile can be given instead of asking (tests, scenarios, other commands). */
interface UpdateInput {
  connectionId?: string;
  idType: 'pcId' | 'thirdPartyId';
  id: string;
  attributes: AttributePairs | Record<string, string>;
}

interface FetchInput {
  connectionId?: string;
  idType: IdType;
  id: string;
  /** Do not open an editor (verification fetches). */
  silent?: boolean;
}

/** Single updates, profile look-ups and verification, from the command palette and the tree. */
export const register: FeatureRegistration = (_context, services) => {
  const documents = new ProfileDocuments();
  return vscode.Disposable.from(
    documents,
    vscode.workspace.registerTextDocumentContentProvider(PROFILE_SCHEME, documents),
    // From the tree these receive the connection's node: they then ask for the rest.
    vscode.commands.registerCommand(Commands.updateProfile, (input?: UpdateInput | { connectionId: string }) =>
      updateProfile(services, input && 'attributes' in input ? input : undefined, input?.connectionId),
    ),
    vscode.commands.registerCommand(Commands.fetchProfile, (input?: FetchInput | { connectionId: string }) =>
      fetchProfile(services, documents, input && 'id' in input ? input : undefined, input?.connectionId),
    ),
    vscode.commands.registerCommand(Commands.refreshProfile, async (uri?: vscode.Uri) => {
      const target = uri ?? vscode.window.activeTextEditor?.document.uri;
      const parsed = target?.scheme === PROFILE_SCHEME ? parseProfileUri(target) : undefined;
      if (!parsed) return undefined;
      return fetchProfile(services, documents, {
        connectionId: parsed.connectionId,
        idType: parsed.idType,
        id: parsed.id,
      });
    }),
    vscode.commands.registerCommand(Commands.verifyUpdate, (arg?: unknown) => verifyUpdate(services, arg)),
  );
};

/** One guard per set of services: it asks about a connection without credential once per session. */
const guards = new WeakMap<Services['connections'], CredentialGuard>();
function guardFor(services: Services): CredentialGuard {
  let guard = guards.get(services.connections);
  if (!guard) guards.set(services.connections, (guard = new CredentialGuard(services.connections)));
  return guard;
}

function resolveConnection(services: Services, connectionId?: string): Connection | undefined {
  const connection = connectionId ? services.connections.get(connectionId) : services.connections.active();
  if (!connection) {
    const add = vscode.l10n.t('Add Connection');
    void vscode.window.showWarningMessage(vscode.l10n.t('Add a Target connection first.'), add).then((a) => {
      if (a === add) void vscode.commands.executeCommand(Commands.addConnection);
    });
  }
  return connection;
}

function describeUpdate(idType: string, id: string, pairs: AttributePairs): string {
  const shown = pairs.slice(0, 4).map(([n, v]) => `${n}=${v.length > 24 ? v.slice(0, 23) + '…' : v}`);
  return `${idType} ${id}: ${shown.join(', ')}${pairs.length > 4 ? `, +${pairs.length - 4}` : ''}`;
}

/** A cancel (the notification's Cancel button, "Cancel Running Requests") rather than a failure. */
function isCancel(error: unknown): boolean {
  return isTargetError(error) && error.kind === 'cancelled';
}

/** The look-up as History keeps it for "Copy as cURL"; undefined when the id cannot make a URL. */
async function lookupRequest(
  services: Services,
  connection: Connection,
  lookup: ProfileLookup,
): Promise<HistoryEntry['request']> {
  try {
    const { url } = profileFetchUrl(resolveBaseUrl(connection), connection.clientCode, lookup);
    const token = await services.connections.token(connection.id);
    return { method: 'GET', url: url.toString(), authenticated: !!token || !!connection.credentials };
  } catch {
    return undefined;
  }
}

async function updateProfile(
  services: Services,
  input?: UpdateInput,
  connectionId?: string,
): Promise<HistoryEntry | undefined> {
  const connection = resolveConnection(services, input?.connectionId ?? connectionId);
  if (!connection) return undefined;
  const asked = input
    ? { ...input, attributes: Array.isArray(input.attributes) ? input.attributes : Object.entries(input.attributes) }
    : await askUpdate(services, connection);
  if (!asked) return undefined;
  const pairs = asked.attributes as AttributePairs;
  if (!(await services.targets.mayConnect(connection, vscode.l10n.t('a profile update')))) return undefined;
  const guard = guardFor(services);
  if (!(await guard.maySend(connection))) return undefined;
  const id = asked.idType === 'pcId' ? { pcId: asked.id } : { thirdPartyId: asked.id };
  const summary = describeUpdate(asked.idType, asked.id, pairs);
  const token = await services.connections.token(connection.id);
  let request: HistoryEntry['request'];
  try {
    const built = buildProfileUpdateRequest(resolveBaseUrl(connection), connection.clientCode, {
      id,
      attributes: pairs,
    });
    request = {
      method: built.method,
      url: built.url.toString(),
      body: built.body,
      contentType: built.body === undefined ? undefined : 'application/x-www-form-urlencoded',
      authenticated: !!token || !!connection.credentials,
    };
  } catch (error) {
    void vscode.window.showErrorMessage(describeError(error));
    return undefined;
  }
  const client = await services.targets.clientFor(connection);
  try {
    const result = await services.targets.withProgress(vscode.l10n.t('Updating profile {0}', asked.id), (signal) =>
      client.updateProfile({ id, attributes: pairs }, { signal }),
    );
    await guard.noteOutcome(connection);
    const entry = await services.history.add({
      connectionId: connection.id,
      kind: 'update',
      summary,
      ok: result.success,
      result: `${result.method} ${result.status}: ${result.message}`,
      request,
      profileId: { type: asked.idType, value: asked.id },
      attributes: pairs,
    });
    services.log.info(`update ${summary} on ${connection.name}: ${entry.result}`);
    const verify = vscode.l10n.t('Verify');
    const curl = vscode.l10n.t('Copy as cURL');
    const preview = vscode.l10n.t('Preview');
    const show = result.success ? vscode.window.showInformationMessage : vscode.window.showErrorMessage;
    void show(
      vscode.l10n.t(
        'Profile update for {0}: {1}',
        asked.id,
        result.message || (result.success ? 'accepted' : 'refused'),
      ),
      verify,
      ...(result.success ? [preview] : []),
      curl,
    ).then((pick) => {
      if (pick === verify) void vscode.commands.executeCommand(Commands.verifyUpdate, entry.id);
      if (pick === curl) void vscode.commands.executeCommand(Commands.copyAsCurl, entry.id);
      if (pick === preview) void previewAfterUpdate(connection.id, asked.idType, asked.id);
    });
    return entry;
  } catch (error) {
    await guard.noteOutcome(connection, error);
    const cancelled = isCancel(error);
    const message = cancelled ? vscode.l10n.t('Cancelled') : describeError(error);
    const entry = await services.history.add({
      connectionId: connection.id,
      kind: 'update',
      summary,
      ok: false,
      ...(cancelled ? { cancelled: true } : {}),
      result: message,
      request,
      profileId: { type: asked.idType, value: asked.id },
      attributes: pairs,
    });
    if (cancelled) {
      services.log.info(`update ${summary} on ${connection.name} cancelled`);
      // Stopped while on its way: the server may have acted on it already, which Verify can tell.
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Profile update for {0} cancelled. Target may have received it before it was stopped.', asked.id),
      );
      return entry;
    }
    services.log.error(`update ${summary} on ${connection.name} failed: ${message}`);
    guard.showError(connection, vscode.l10n.t('Profile update for {0} failed: {1}', asked.id, message), error);
    return entry;
  } finally {
    void client.close();
  }
}

/** The ids of a type this connection updated or looked up, newest first: offered first in the id prompts. */
function recentIds(services: Services, connection: Connection, idType: IdType): string[] {
  return [
    ...new Set(
      services.history
        .forConnection(connection.id)
        .filter((e) => e.profileId?.type === idType)
        .map((e) => e.profileId!.value),
    ),
  ];
}

const ID_TYPE_DESCRIPTIONS: Record<IdType, () => string> = {
  thirdPartyId: () => vscode.l10n.t('Your CRM or customer id (mbox3rdPartyId)'),
  pcId: () => vscode.l10n.t('Target visitor id (mboxPC)'),
  marketingCloudVisitorId: () => vscode.l10n.t('Experience Cloud ID'),
};

/** The id type pick; the type used last on this connection first. */
function idTypeStep<S extends { idType?: T }, T extends IdType>(
  services: Services,
  connection: Connection,
  types: readonly T[],
): PickStep<S, T> {
  return {
    kind: 'pick',
    id: 'idType',
    placeholder: () => vscode.l10n.t('Which id identifies the visitor?'),
    items: () => {
      const last = services.history
        .forConnection(connection.id)
        .find((e) => e.profileId && types.includes(e.profileId.type as T))?.profileId?.type;
      const ordered = [...types.filter((t) => t === last), ...types.filter((t) => t !== last)];
      return ordered.map((t) => ({ label: t, description: ID_TYPE_DESCRIPTIONS[t](), value: t }));
    },
    selected: (s) => s.idType,
    apply: (s, idType) => (idType === s.idType ? s : { ...s, idType, id: undefined }),
  };
}

/** The id prompt: what to enter with an example, the recent ids of this connection, the CLI's checks. */
function idStep<S extends { idType?: IdType; id?: string }>(services: Services, connection: Connection): Step<S> {
  return {
    kind: 'input',
    id: 'id',
    prompt: (s) => {
      const idType = s.idType ?? 'thirdPartyId';
      const recent = recentIds(services, connection, idType).slice(0, 5);
      const what = vscode.l10n.t('{0}, e.g. {1}', idType, ID_EXAMPLES[idType]);
      return recent.length ? vscode.l10n.t('{0}. Recent: {1}', what, recent.join(', ')) : what;
    },
    placeholder: (s) => ID_EXAMPLES[s.idType ?? 'thirdPartyId'],
    value: (s) => s.id ?? recentIds(services, connection, s.idType ?? 'thirdPartyId')[0] ?? '',
    validate: (v, s) => profileIdProblem(s.idType ?? 'thirdPartyId', v),
    apply: (s, v) => ({ ...s, id: v.trim() }),
  };
}

/** The steps of Update Profile: id type, id, then name=value pairs one by one (or pasted at once). */
async function askUpdate(
  services: Services,
  connection: Connection,
): Promise<{ idType: 'pcId' | 'thirdPartyId'; id: string; attributes: AttributePairs } | undefined> {
  type Answers = { idType?: 'pcId' | 'thirdPartyId'; id?: string; pairs: AttributePairs };
  const recent = services.history.forConnection(connection.id, 'update');
  const recentNames = [...new Set(recent.flatMap((e) => (e.attributes ?? []).map(([n]) => n)))].slice(0, 8);
  const target = { base: resolveBaseUrl(connection), clientCode: connection.clientCode };
  const check = (v: string, s: Answers) =>
    checkAttributeInput(target, { idType: s.idType ?? 'thirdPartyId', id: s.id ?? '' }, s.pairs, v);
  const answers = await askSteps<Answers>(
    vscode.l10n.t('Update Profile on {0}', connection.name),
    [
      idTypeStep<Answers, 'thirdPartyId' | 'pcId'>(services, connection, ['thirdPartyId', 'pcId']),
      idStep<Answers>(services, connection),
      {
        kind: 'input',
        id: 'attributes',
        prompt: (s) =>
          s.pairs.length === 0
            ? vscode.l10n.t(
                'name=value, e.g. loyaltyTier=gold, or paste a=1&b=2 or a JSON object{0}',
                recentNames.length ? ` (${vscode.l10n.t('recent: {0}', recentNames.join(', '))})` : '',
              )
            : vscode.l10n.t(
                '{0} attribute(s) so far: {1}. Another name=value, or press Enter on an empty line to send.',
                s.pairs.length,
                s.pairs.map(([n]) => n).join(', '),
              ),
        value: () => '',
        validate: (v, s) => {
          if (v.trim() === '') return s.pairs.length ? undefined : vscode.l10n.t('Give at least one name=value.');
          const checked = check(v, s);
          if (!checked.ok) return checked.message;
          // Checked as the user types: the encoded size decides GET (8 KB) or POST (60 KB), or refusal.
          return checked.method === 'POST'
            ? {
                message: vscode.l10n.t('Over 8 KB once encoded: it will be sent as a POST (limit 60 KB).'),
                severity: vscode.InputBoxValidationSeverity.Info,
              }
            : undefined;
        },
        apply: (s, v) => {
          if (v.trim() === '') return s;
          const checked = check(v, s);
          return checked.ok ? { ...s, pairs: [...s.pairs, ...checked.pairs] } : s;
        },
        again: (_s, v) => v.trim() !== '',
      },
    ],
    { pairs: [] },
  );
  if (!answers?.idType || answers.id === undefined) return undefined;
  return { idType: answers.idType, id: answers.id, attributes: answers.pairs };
}

function lookupOf(idType: IdType, id: string): ProfileLookup {
  return idType === 'pcId'
    ? { pcId: id }
    : idType === 'thirdPartyId'
      ? { thirdPartyId: id }
      : { marketingCloudVisitorId: id };
}

async function fetchProfile(
  services: Services,
  documents: ProfileDocuments,
  input?: FetchInput,
  connectionId?: string,
): Promise<
  | { found: boolean; uri?: vscode.Uri; profile?: Record<string, unknown>; message?: string; cancelled?: boolean }
  | undefined
> {
  const connection = resolveConnection(services, input?.connectionId ?? connectionId);
  if (!connection) return undefined;
  let idType = input?.idType;
  let id = input?.id;
  if (!idType || id === undefined) {
    const answers = await askSteps<{ idType?: IdType; id?: string }>(
      vscode.l10n.t('Fetch Profile from {0}', connection.name),
      [
        idTypeStep<{ idType?: IdType; id?: string }, IdType>(services, connection, [
          'thirdPartyId',
          'pcId',
          'marketingCloudVisitorId',
        ]),
        idStep(services, connection),
      ],
      {},
    );
    if (!answers?.idType || answers.id === undefined) return undefined;
    idType = answers.idType;
    id = answers.id;
  }
  if (!(await services.targets.mayConnect(connection, vscode.l10n.t('a profile look-up')))) return undefined;
  const request = input?.silent ? undefined : await lookupRequest(services, connection, lookupOf(idType, id));
  const guard = guardFor(services);
  if (!input?.silent && !(await guard.maySend(connection))) return undefined;
  const client = await services.targets.clientFor(connection);
  let result: FetchResult;
  try {
    result = await services.targets.withProgress(
      vscode.l10n.t('Fetching profile {0}', id),
      (signal) => client.fetchProfile(lookupOf(idType!, id!), { signal }),
      input?.silent,
    );
    await guard.noteOutcome(connection);
  } catch (error) {
    await guard.noteOutcome(connection, error);
    const cancelled = isCancel(error);
    const message = cancelled ? vscode.l10n.t('Cancelled') : describeError(error);
    if (cancelled) services.log.info(`fetch ${idType} ${id} on ${connection.name} cancelled`);
    else services.log.error(`fetch ${idType} ${id} on ${connection.name} failed: ${message}`);
    if (!input?.silent) {
      await services.history.add({
        connectionId: connection.id,
        kind: 'fetch',
        summary: `${idType} ${id}`,
        ok: false,
        ...(cancelled ? { cancelled: true } : {}),
        result: message,
        request,
        profileId: { type: idType, value: id },
      });
      if (cancelled) void vscode.window.showInformationMessage(vscode.l10n.t('Fetching profile {0} cancelled.', id));
      else guard.showError(connection, vscode.l10n.t('Fetching profile {0} failed: {1}', id, message), error);
    }
    return { found: false, message, ...(cancelled ? { cancelled: true } : {}) };
  } finally {
    void client.close();
  }
  if (input?.silent) {
    return result.found ? { found: true, profile: result.profile } : { found: false, message: result.message };
  }
  await services.history.add({
    connectionId: connection.id,
    kind: 'fetch',
    summary: `${idType} ${id}`,
    ok: result.found,
    result: result.found
      ? vscode.l10n.t('{0} attributes', Object.keys((result.profile.profileAttributes as object) ?? {}).length)
      : result.message,
    request,
    profileId: { type: idType, value: id },
  });
  if (!result.found) {
    void vscode.window.showWarningMessage(vscode.l10n.t('No profile found: {0}', result.message));
    return { found: false, message: result.message };
  }
  const uri = profileUri(connection.id, connection.name, idType, id);
  documents.set(uri, JSON.stringify(result.profile, null, 2) + '\n');
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.languages.setTextDocumentLanguage(document, 'json');
  await vscode.window.showTextDocument(document, { preview: false });
  return { found: true, uri, profile: result.profile };
}

/**
 * The Preview button after an update or a verification: the preview feature runs it (features do not
 * import each other) and compares with this visitor's preview before the update when there is one.
 */
function previewAfterUpdate(connectionId: string, idType: IdType, id: string): Thenable<unknown> {
  return vscode.commands.executeCommand(Commands.previewPersonalization, { connectionId, idType, id, compare: true });
}

/** Fetches the profile of an update until every sent attribute matches or the time is up. */
async function verifyUpdate(services: Services, arg?: unknown): Promise<VerifyReport | undefined> {
  const entryId =
    typeof arg === 'string' ? arg : arg && typeof arg === 'object' ? (arg as { entryId?: string }).entryId : undefined;
  const connectionFromArg = connectionArg(arg, services.connections.get.bind(services.connections));
  let entry = entryId ? services.history.get(entryId) : undefined;
  if (!entry) {
    const connection = connectionFromArg ?? services.connections.active();
    const updates = (connection ? services.history.forConnection(connection.id, 'update') : []).filter(
      (e) => e.ok && e.attributes?.length,
    );
    if (updates.length === 0) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Send a profile update first; Verify checks that it landed.'),
      );
      return undefined;
    }
    const answers = await askSteps<{ entry?: HistoryEntry }>(
      vscode.l10n.t('Verify Update'),
      [
        {
          kind: 'pick',
          id: 'entry',
          placeholder: () => vscode.l10n.t('Which update to verify?'),
          items: () =>
            updates.map((e) => ({ label: e.summary, description: new Date(e.time).toLocaleString(), value: e })),
          apply: (s, e: HistoryEntry) => ({ ...s, entry: e }),
        },
      ],
      {},
    );
    entry = answers?.entry;
  }
  if (!entry?.profileId || !entry.attributes) return undefined;
  const settings = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const budgetMs = settings.get<number>('verify.timeoutSeconds', 60) * 1000;
  const delays = verifyDelays(
    settings.get<number>('polling.minSeconds', 2) * 1000,
    settings.get<number>('polling.maxSeconds', 30) * 1000,
    budgetMs,
  );
  const { profileId, attributes } = entry;
  const connectionId = entry.connectionId;
  let report: VerifyReport | undefined;
  let lastMessage = '';
  let cancelled = false;
  let verifyCancelled = false;
  await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t('Verifying update of {0}', profileId.value),
      cancellable: true,
    },
    async (progress, token) => {
      token.onCancellationRequested(() => (verifyCancelled = true));
      for (let attempt = 0; attempt <= delays.length && !token.isCancellationRequested; attempt++) {
        const fetched = await vscode.commands.executeCommand<
          { found: boolean; profile?: Record<string, unknown>; message?: string; cancelled?: boolean } | undefined
        >(Commands.fetchProfile, {
          connectionId,
          idType: profileId.type,
          id: profileId.value,
          silent: true,
        } satisfies FetchInput);
        // "Cancel Running Requests" stops the look-up in flight: that ends the verification too.
        if (fetched?.cancelled) {
          cancelled = true;
          return;
        }
        if (fetched?.found && fetched.profile) {
          report = compareAttributes(attributes, fetched.profile);
          if (report.allMatch) return;
        } else lastMessage = fetched?.message ?? '';
        if (attempt === delays.length) return;
        progress.report({
          message: vscode.l10n.t('not there yet; checking again in {0} s', Math.round(delays[attempt] / 1000)),
        });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delays[attempt]);
          token.onCancellationRequested(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
  );
  const counts = report
    ? {
        match: report.checks.filter((c) => c.state === 'match'),
        differs: report.checks.filter((c) => c.state === 'differs'),
        missing: report.checks.filter((c) => c.state === 'missing'),
      }
    : undefined;
  const text = counts
    ? [
        vscode.l10n.t('{0} match', counts.match.length),
        ...counts.differs.map((c) =>
          vscode.l10n.t(
            '{0} differs (sent "{1}", profile has "{2}")',
            c.name,
            c.expected,
            c.state === 'differs' ? c.actual : '',
          ),
        ),
        ...counts.missing.map((c) => vscode.l10n.t('{0} missing', c.name)),
      ].join('; ')
    : vscode.l10n.t('profile not found ({0})', lastMessage);
  cancelled ||= !report?.allMatch && verifyCancelled;
  const verifyConnection = services.connections.get(connectionId);
  const request = verifyConnection
    ? await lookupRequest(services, verifyConnection, lookupOf(profileId.type, profileId.value))
    : undefined;
  await services.history.add({
    connectionId,
    kind: 'verify',
    summary: entry.summary,
    ok: !cancelled && !!report?.allMatch,
    ...(cancelled ? { cancelled: true } : {}),
    result: cancelled ? vscode.l10n.t('Cancelled') : text,
    request,
    profileId,
  });
  services.log.info(`verify ${entry.summary}: ${cancelled ? 'cancelled' : text}`);
  if (cancelled) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Verification of {0} cancelled.', profileId.value));
  } else if (report?.allMatch) {
    const preview = vscode.l10n.t('Preview');
    void vscode.window
      .showInformationMessage(vscode.l10n.t('Update of {0} landed: {1}', profileId.value, text), preview)
      .then((pick) => {
        if (pick === preview) void previewAfterUpdate(connectionId, profileId.type, profileId.value);
      });
  } else {
    void vscode.window.showWarningMessage(vscode.l10n.t('Update of {0} not (yet) visible: {1}', profileId.value, text));
  }
  return (
    report ?? {
      checks: attributes.filter(([, v]) => v !== '').map(([name, expected]) => ({ name, state: 'missing', expected })),
      allMatch: false,
    }
  );
}
