import { ProfileTokenProvider, credentialsFromEnvironment } from '../core/auth/tokenProvider';
import { DeliveryClient, MboxPreview, PreviewResult } from '../core/delivery/client';
import { PreviewRequest, QaMode, parseQaLink } from '../core/delivery/request';
import { TargetError } from '../core/target/errors';
import { parseArgs } from './args';
import { CliCommand, CliIO, ExitCode, UsageError, secretSafeIO } from './io';
import { connectionFromArgs, idFromArgs, reportFailure } from './update';

/*
 * `preview`: what Target's Delivery API serves one visitor on each --mbox (cli.md, `preview`). Prefetch by
 * default, so nothing is counted; `--execute` counts impressions and says so on stderr. The profile API
 * token is never sent; the property token comes from an environment variable, the trace token from
 * TARGET_TRACE_TOKEN or the Developer Console credentials (scope debug_tools), never from arguments (they
 * show in process lists and shell history).
 */

export const PREVIEW_OPTIONS = {
  client: { type: 'string' },
  'pc-id': { type: 'string' },
  'third-party-id': { type: 'string' },
  ecid: { type: 'string' },
  mbox: { type: 'string', multiple: true },
  execute: { type: 'boolean' },
  url: { type: 'string' },
  'property-token-env': { type: 'string' },
  'qa-url': { type: 'string' },
  trace: { type: 'boolean' },
  'base-url': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const DEFAULT_PROPERTY_TOKEN_ENV = 'TARGET_PROPERTY_TOKEN';
export const TRACE_TOKEN_ENV = 'TARGET_TRACE_TOKEN';

/**
 * The property token: from the variable `--property-token-env` names (which must then be set), else from
 * TARGET_PROPERTY_TOKEN when it is set; none otherwise.
 */
export function propertyTokenFrom(env: NodeJS.ProcessEnv, variable: string | undefined): string | undefined {
  if (variable !== undefined) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) {
      throw new UsageError(`--property-token-env takes the name of an environment variable, not '${variable}'`);
    }
    const value = env[variable];
    if (value === undefined || value === '') {
      throw new UsageError(`--property-token-env names ${variable}, which is not set`);
    }
    return value;
  }
  const value = env[DEFAULT_PROPERTY_TOKEN_ENV];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The trace token of `--trace`: TARGET_TRACE_TOKEN when set; else undefined when Developer Console
 * credentials are set (the token is then fetched with scope debug_tools); a usage error otherwise.
 */
export function traceTokenFrom(env: NodeJS.ProcessEnv, wanted: boolean): string | undefined {
  if (!wanted) return undefined;
  const value = env[TRACE_TOKEN_ENV];
  if (value !== undefined && value !== '') return value;
  let credentials;
  try {
    credentials = credentialsFromEnvironment(env);
  } catch (error) {
    // Partial or mixed credentials: a usage problem, reported before anything is sent.
    if (error instanceof TargetError && error.kind === 'usage') throw new UsageError(error.message);
    throw error;
  }
  if (credentials) return undefined;
  throw new UsageError(
    `--trace needs the mboxTrace token in ${TRACE_TOKEN_ENV} (Target: Administration > Implementation > Debugger tools), or Developer Console credentials (TARGET_CLIENT_ID, TARGET_CLIENT_SECRET, TARGET_TENANT) to fetch it`,
  );
}

/** The trace token from the Developer Console credentials of the environment (scope debug_tools). */
async function fetchTraceToken(io: CliIO): Promise<string> {
  const provider = new ProfileTokenProvider({ ...credentialsFromEnvironment(io.env)!, proxy: { env: io.env } });
  try {
    return await provider.traceToken(io.signal);
  } finally {
    await provider.close();
  }
}

/** The `--json` document of cli.md. */
export function previewJson(result: PreviewResult): unknown {
  return {
    edgeHost: result.edgeHost,
    id: result.id,
    requestId: result.requestId,
    mboxes: result.mboxes.map((m) => ({
      name: m.name,
      options: m.options.map((o) => ({ type: o.type, content: o.content, responseTokens: o.responseTokens })),
      activity: m.activity,
      experience: m.experience,
      offer: m.offer,
      ...(m.trace !== undefined ? { trace: m.trace } : {}),
    })),
  };
}

function indent(text: string, prefix = '    '): string {
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}

/** Why an mbox may come back empty, most likely first, given what was sent. */
function likelyReasons(request: PreviewRequest): string[] {
  return [
    'no live activity on this mbox has an audience this visitor is in (check the profile with `fetch`)',
    'a profile update is not processed yet: Target can take up to 24 hours; run the preview again later',
    request.propertyToken === undefined
      ? `the activity belongs to a workspace with a property token: set ${DEFAULT_PROPERTY_TOKEN_ENV}`
      : 'the activity belongs to another workspace than the property token sent',
    request.pageUrl === undefined
      ? 'the activity targets a page: give it with --url'
      : 'the page host is not an authorized host, or its environment does not serve the activity',
    request.qaMode === undefined
      ? 'the activity is inactive: preview it with its Activity QA link (--qa-url)'
      : 'the QA link names other activities or experiences',
  ];
}

function nameOr(value: string | null, token: string): string {
  return value ?? `(unknown: the ${token} response token is off)`;
}

function describeMbox(m: MboxPreview, request: PreviewRequest): string {
  if (m.options.length === 0) {
    const reasons = likelyReasons(request).map((r) => `  - ${r}\n`);
    return `mbox ${m.name}: nothing qualifies\n  Likely reasons:\n${reasons.join('')}${traceBlock(m)}`;
  }
  let out = `mbox ${m.name}: activity ${nameOr(m.activity, 'activity.name')}, experience ${nameOr(m.experience, 'experience.name')}, offer ${nameOr(m.offer, 'offer.name')}\n`;
  for (const option of m.options) {
    const content =
      typeof option.content === 'string' ? option.content : (JSON.stringify(option.content, null, 2) ?? 'null');
    out += `  ${option.type}:\n${indent(content)}\n`;
    const tokens = Object.entries(option.responseTokens);
    if (tokens.length > 0) out += `  response tokens: ${tokens.map(([k, v]) => `${k}=${String(v)}`).join(', ')}\n`;
  }
  return out + traceBlock(m);
}

function traceBlock(m: MboxPreview): string {
  return m.trace === undefined ? '' : `  trace:\n${indent(JSON.stringify(m.trace, null, 2))}\n`;
}

/** The IO with the property and trace tokens (and the environment's secrets) replaced by `***`. */
export function tokenSafeIO(io: CliIO, tokens: (string | undefined)[]): CliIO {
  const safe = secretSafeIO(io);
  const forms = [
    ...new Set(
      tokens
        .filter((t): t is string => t !== undefined && t.length >= 4)
        .flatMap((t) => [t, encodeURIComponent(t), JSON.stringify(t).slice(1, -1)]),
    ),
  ];
  if (forms.length === 0) return safe;
  const scrub = (text: string) => forms.reduce((out, form) => out.split(form).join('***'), text);
  return { ...safe, stdout: (t) => safe.stdout(scrub(t)), stderr: (t) => safe.stderr(scrub(t)) };
}

export const runPreview: CliCommand = async (argv, given) => {
  const args = parseArgs(argv, PREVIEW_OPTIONS);
  const json = args.values.json === true;
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const visitor = idFromArgs(args, true);
  const mboxes = args.values.mbox ?? [];
  if (mboxes.length === 0) throw new UsageError('give at least one --mbox NAME');
  const propertyToken = propertyTokenFrom(given.env, args.values['property-token-env']);
  let traceToken = traceTokenFrom(given.env, args.values.trace === true);
  let io = tokenSafeIO(given, [propertyToken, traceToken]);
  let client: DeliveryClient | undefined;
  try {
    let qaMode: QaMode | undefined;
    if (args.values['qa-url'] !== undefined) qaMode = parseQaLink(args.values['qa-url']);
    const request: PreviewRequest = {
      visitor,
      mboxes,
      ...(args.values.execute ? { execute: true } : {}),
      ...(args.values.url !== undefined ? { pageUrl: args.values.url } : {}),
      ...(propertyToken !== undefined ? { propertyToken } : {}),
      ...(traceToken !== undefined ? { traceToken } : {}),
      ...(qaMode ? { qaMode } : {}),
    };
    client = new DeliveryClient({ connection: connectionFromArgs(args, io), proxy: { env: io.env } });
    // Checks the input (mbox count and names, ids, page URL) before the warning and the requests.
    client.prepare(request);
    if (args.values.trace === true && traceToken === undefined) {
      // From the credentials: the Admin API's token route with scope debug_tools, scrubbed from what is printed.
      traceToken = await fetchTraceToken(io);
      io = tokenSafeIO(given, [propertyToken, traceToken]);
      request.traceToken = traceToken;
    }
    if (request.execute) {
      io.stderr(
        'target-profiles preview: --execute counts an impression for each mbox served, and can change what Automated Personalization and Auto-Target serve this visitor next.\n',
      );
    }
    const result = await client.preview(request, { signal: io.signal });
    if (json) {
      io.stdout(JSON.stringify(previewJson(result)) + '\n');
      return ExitCode.ok;
    }
    for (const m of result.mboxes) io.stdout(describeMbox(m, request));
    const tntId = typeof result.id.tntId === 'string' ? result.id.tntId : '-';
    io.stdout(
      `${result.mode === 'execute' ? 'Executed (impressions counted)' : 'Prefetched (nothing counted)'}: tntId ${tntId}, edgeHost ${result.edgeHost ?? '-'}, requestId ${result.requestId}\n`,
    );
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof TargetError) return reportFailure(io, 'preview', error, json);
    throw error;
  } finally {
    await client?.close();
  }
};
