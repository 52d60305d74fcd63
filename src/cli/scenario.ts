import { promises as fsp } from 'fs';
import * as path from 'path';
import { describeMismatches, runScenario, type ScenarioResult, type StepResult } from '../core/scenarios/runner';
import { parseScenario, type Scenario } from '../core/scenarios/scenario';
import { DeliveryClient } from '../core/delivery/client';
import { targetScenarioDeps } from '../core/scenarios/targetDeps';
import { TargetClient } from '../core/target/client';
import { ConnectionSettings } from '../core/target/connection';
import { TargetError } from '../core/target/errors';
import { parseArgs } from './args';
import { CliCommand, ExitCode, UsageError } from './io';
import { DEFAULT_PROPERTY_TOKEN_ENV, propertyTokenFrom, tokenSafeIO } from './preview';
import { connectionFromArgs, exitCodeFor, reportFailure, targetClient } from './update';

/*
 * `scenario`: runs QA scenario files (*.targetprofile.json / .jsonc) against --client, one line per
 * step. A scenario's `connection` names an editor connection, so it is ignored here; a preview step's
 * `property` names a property token stored in the editor, so TARGET_PROPERTY_TOKEN stands in for it.
 */

const LABELS: Record<StepResult['status'], string> = {
  passed: 'PASS',
  failed: 'FAIL',
  skipped: 'SKIP',
  errored: 'ERROR',
};

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function stepJson(step: StepResult) {
  return {
    index: step.index,
    type: step.type,
    name: step.name,
    status: step.status,
    durationMs: Math.round(step.durationMs),
    message: step.message,
    attributes: step.attributes.map((a) => ({
      name: a.name,
      state: a.state,
      expected: a.expected,
      actual: a.actual ?? null,
    })),
  };
}

/** The `--json` document of one scenario, also what the editor's commands return. */
function scenarioJson(file: string, result: ScenarioResult) {
  return { path: file, passed: result.passed, steps: result.steps.map(stepJson) };
}

/**
 * A preview step's `property` names a token stored in the editor; the command line keeps no named tokens
 * and sends TARGET_PROPERTY_TOKEN instead. So before anything is sent: a step that names a property needs
 * the variable, and one run can send only one property's token.
 */
function checkNamedProperties(scenarios: { file: string; scenario: Scenario }[], token: string | undefined): void {
  const named = scenarios.flatMap(({ file, scenario }) =>
    scenario.steps.flatMap((step) =>
      step.type === 'preview' && step.property !== undefined
        ? [{ file, step: step.index + 1, name: step.property }]
        : [],
    ),
  );
  if (named.length === 0) return;
  const names = [...new Set(named.map((n) => n.name))];
  if (names.length > 1) {
    throw new UsageError(
      `the preview steps name ${names.length} properties (${names.map((n) => `"${n}"`).join(', ')}), but one run sends one property token, ${DEFAULT_PROPERTY_TOKEN_ENV}: run the steps of each property separately`,
    );
  }
  if (token === undefined) {
    const first = named[0];
    throw new UsageError(
      `${first.file} step ${first.step} previews with the property "${first.name}": set ${DEFAULT_PROPERTY_TOKEN_ENV} to its token (the command line keeps no named property tokens)`,
    );
  }
}

export const runScenarioCommand: CliCommand = async (argv, given) => {
  // Preview steps send the property token of TARGET_PROPERTY_TOKEN, as `preview` does; a step's
  // `property` only says that it needs one (see checkNamedProperties).
  const propertyToken = propertyTokenFrom(given.env, undefined);
  // Verify and preview steps print what the server returned: a server echoing the request must not print a token.
  const io = tokenSafeIO(given, [propertyToken]);
  const args = parseArgs(argv, {
    client: { type: 'string' },
    'base-url': { type: 'string' },
    json: { type: 'boolean' },
  });
  const json = args.values.json === true;
  if (args.positionals.length === 0) throw new UsageError('give at least one scenario file');
  // Usage problems (client code, base URL) come before reading anything.
  let connection: ConnectionSettings;
  try {
    connection = connectionFromArgs(args, io);
  } catch (error) {
    return reportFailure(io, 'scenario', error, json, { scenarios: [] });
  }

  // Every file is read and checked first: nothing is sent while any of them has a problem.
  const scenarios: { file: string; scenario: Scenario }[] = [];
  let invalid = false;
  for (const file of args.positionals) {
    let text: string;
    try {
      text = await fsp.readFile(path.resolve(io.cwd, file), 'utf8');
    } catch (error) {
      throw new UsageError(
        `cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      );
    }
    const parsed = parseScenario(text);
    for (const p of parsed.problems) {
      io.stderr(`${file}:${p.range.line + 1}:${p.range.column + 1}: error ${p.message}\n`);
    }
    if (parsed.scenario) scenarios.push({ file, scenario: parsed.scenario });
    else invalid = true;
  }
  if (invalid) {
    io.stderr('target-profiles scenario: nothing was run; fix the problems above.\n');
    if (json) io.stdout(JSON.stringify({ scenarios: [] }) + '\n');
    return ExitCode.inputErrors;
  }
  checkNamedProperties(scenarios, propertyToken);

  const clients = new Map<string, TargetClient>();
  const clientFor = async (apiVersion: 'v1' | 'v2' = connection.apiVersion) => {
    let client = clients.get(apiVersion);
    if (!client) clients.set(apiVersion, (client = targetClient({ ...connection, apiVersion }, io)));
    return client;
  };
  let delivery: DeliveryClient | undefined;
  const deliveryFor = async () =>
    (delivery ??= new DeliveryClient({
      // Only what the Delivery API needs: the profile API token stays with the profile clients.
      connection: {
        clientCode: connection.clientCode,
        apiVersion: connection.apiVersion,
        ...(connection.baseUrl === undefined ? {} : { baseUrl: connection.baseUrl }),
      },
      proxy: { env: io.env },
    }));
  const deps = targetScenarioDeps(clientFor, {
    delivery: deliveryFor,
    ...(propertyToken === undefined ? {} : { propertyToken: () => propertyToken }),
  });
  const results: { file: string; result: ScenarioResult }[] = [];
  try {
    for (const { file, scenario } of scenarios) {
      if (!json) io.stdout(`${file}\n`);
      const result = await runScenario(scenario, deps, {
        signal: io.signal,
        baseDir: path.dirname(path.resolve(io.cwd, file)),
        onStep: (event) => {
          if (event.phase === 'started' && io.stderrIsTTY) io.stderr(`\r\x1b[K  running step ${event.step.index + 1}…`);
          if (event.phase !== 'finished') return;
          if (io.stderrIsTTY) io.stderr('\r\x1b[K');
          if (json) return;
          const r = event.result;
          io.stdout(
            `  ${LABELS[r.status].padEnd(5)} ${r.name} (${seconds(r.durationMs)})${r.status === 'passed' || r.status === 'failed' ? '' : `: ${r.message}`}\n`,
          );
          if (r.status === 'failed') {
            const lines = describeMismatches(r.attributes);
            for (const line of lines.length ? lines : [r.message]) io.stdout(`        ${line}\n`);
          }
        },
      });
      results.push({ file, result });
      if (result.cancelled) break;
    }
  } finally {
    await Promise.all([...clients.values()].map((c) => c.close()));
    await delivery?.close();
  }

  const steps = results.flatMap((r) => r.result.steps);
  if (json) io.stdout(JSON.stringify({ scenarios: results.map((r) => scenarioJson(r.file, r.result)) }) + '\n');
  else {
    const count = (status: StepResult['status']) => steps.filter((s) => s.status === status).length;
    const passed = results.filter((r) => r.result.passed).length;
    io.stdout(
      `${passed} of ${results.length} scenario(s) passed: ${count('passed')} step(s) passed, ${count('failed')} failed, ${count('errored')} errored, ${count('skipped')} skipped.\n`,
    );
  }
  // A network or server failure (after the client's retries) outranks a failed check: the check proved nothing.
  const codes = steps
    .filter((s) => s.status === 'errored')
    .map((s) => exitCodeFor(new TargetError(s.errorKind ?? 'server', s.message)));
  if (codes.includes(ExitCode.network)) return ExitCode.network;
  if (codes.length > 0 || steps.some((s) => s.status === 'failed')) return ExitCode.inputErrors;
  return ExitCode.ok;
};
