/**
 * Runs a scenario's steps in order against whatever `deps` talks to: the real Target client in the
 * editor and on the command line, fakes in unit tests. A failed verify does not stop the run; an
 * update or batch that errors does (later steps would test a state that was never set up).
 */
import * as l10n from '@vscode/l10n';
import * as path from 'path';
import { count } from '../displayLanguage';
import { compareAttributes, verifyDelays, type AttributeCheck } from '../profiles/verify';
import type { TargetErrorKind } from '../target/errors';
import { isTargetError } from '../target/errors';
import { LookupIdType, MboxExpectation, Scenario, ScenarioStep, StepType, UpdateIdType, stepLabel } from './scenario';

export interface ScenarioDeps {
  updateProfile(
    idType: UpdateIdType,
    id: string,
    attributes: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<{ success: boolean; message: string }>;
  fetchProfile(
    idType: LookupIdType,
    id: string,
    signal?: AbortSignal,
  ): Promise<{ found: boolean; profile?: Record<string, unknown>; message?: string }>;
  /** Uploads a batch file (an absolute path); returns the status URLs of its uploads. */
  submitBatch(file: string, apiVersion: 'v1' | 'v2' | undefined, signal?: AbortSignal): Promise<string[]>;
  waitForBatch(statusUrl: string, signal?: AbortSignal): Promise<{ status: string }>;
  /**
   * What each mbox gets for one visitor (a Delivery API prefetch: nothing is counted). Absent when no
   * delivery client could be built; a preview step then errors.
   */
  preview?(request: ScenarioPreviewRequest, signal?: AbortSignal): Promise<ServedMbox[]>;
  /** Rejects when `signal` fires. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Defaults to Date.now. */
  now?(): number;
}

export interface ScenarioPreviewRequest {
  idType: LookupIdType;
  id: string;
  mboxes: string[];
  url?: string;
  /** The step's `property`: the name of the property token to send. */
  property?: string;
}

/** What Target served one mbox: names from the response tokens (null when off), contents as text. */
export interface ServedMbox {
  name: string;
  served: boolean;
  activity: string | null;
  experience: string | null;
  offer: string | null;
  contents: string[];
}

type StepStatus = 'passed' | 'failed' | 'skipped' | 'errored';

export interface AttributeResult {
  name: string;
  state: AttributeCheck['state'];
  expected: string;
  /** Absent when the profile has no such attribute (or was not found). */
  actual?: string;
}

export interface StepResult {
  index: number;
  type: StepType;
  /** The step's name, or a label saying what it does. */
  name: string;
  status: StepStatus;
  durationMs: number;
  message: string;
  /** Verify steps: expected against actual, per attribute; preview steps: per mbox and expectation ("home-hero experience"). */
  attributes: AttributeResult[];
  /** When errored by a Target call: the error's kind (the command line maps it to an exit code). */
  errorKind?: TargetErrorKind;
}

export interface ScenarioResult {
  passed: boolean;
  cancelled: boolean;
  steps: StepResult[];
}

export type StepEvent =
  { phase: 'started'; step: ScenarioStep } | { phase: 'finished'; step: ScenarioStep; result: StepResult };

export interface RunOptions {
  signal?: AbortSignal;
  onStep?: (event: StepEvent) => void;
  /** Run only these step indices (the editor's "Run step"); default all. */
  only?: readonly number[];
  /** Where batch `file`s are resolved from: the scenario file's folder. Default the process's cwd. */
  baseDir?: string;
  /** Pauses between verification fetches: doubling from `min` to `max` within the step's budget. */
  pollMinMs?: number;
  pollMaxMs?: number;
  /** Replaces each verify and preview step's `within` (the editor's "Verify": check once, now). */
  verifyWithinSeconds?: number;
}

/** The attributes that do not match, as people read them: `tier: expected "gold", got "silver"`. */
export function describeMismatches(attributes: readonly AttributeResult[]): string[] {
  return attributes
    .filter((a) => a.state !== 'match')
    .map((a) =>
      a.state === 'missing'
        ? l10n.t('{0}: expected "{1}", missing', a.name, a.expected)
        : l10n.t('{0}: expected "{1}", got "{2}"', a.name, a.expected, a.actual ?? ''),
    );
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isCancellation(error: unknown, signal?: AbortSignal): boolean {
  return (isTargetError(error) && error.kind === 'cancelled') || !!signal?.aborted;
}

export async function runScenario(
  scenario: Scenario,
  deps: ScenarioDeps,
  options: RunOptions = {},
): Promise<ScenarioResult> {
  const { signal } = options;
  const now = deps.now ?? Date.now;
  const selected = scenario.steps.filter((s) => !options.only || options.only.includes(s.index));
  const results: StepResult[] = [];
  let stopReason: string | undefined;
  let cancelled = false;
  for (const step of selected) {
    const base = { index: step.index, type: step.type, name: stepLabel(step), attributes: [] as AttributeResult[] };
    if (!stopReason && signal?.aborted) {
      cancelled = true;
      stopReason = l10n.t('Skipped: the run was cancelled.');
    }
    if (stopReason) {
      const result: StepResult = { ...base, status: 'skipped', durationMs: 0, message: stopReason };
      results.push(result);
      options.onStep?.({ phase: 'finished', step, result });
      continue;
    }
    options.onStep?.({ phase: 'started', step });
    const started = now();
    let result: StepResult;
    try {
      const outcome = await runStep(step, deps, options);
      result = { ...base, ...outcome, durationMs: now() - started };
    } catch (error) {
      result = { ...base, status: 'errored', durationMs: now() - started, message: errorMessage(error) };
      if (isTargetError(error)) result.errorKind = error.kind;
      if (isCancellation(error, signal)) {
        cancelled = true;
        result.message = l10n.t('Cancelled.');
        result.errorKind = 'cancelled';
        stopReason = l10n.t('Skipped: the run was cancelled.');
      }
    }
    if (!stopReason && result.status === 'errored' && (step.type === 'update' || step.type === 'batch')) {
      stopReason = l10n.t('Skipped: step {0} ({1}) errored.', String(step.index + 1), base.name);
    }
    results.push(result);
    options.onStep?.({ phase: 'finished', step, result });
  }
  return { passed: results.every((r) => r.status === 'passed'), cancelled, steps: results };
}

type Outcome = Pick<StepResult, 'status' | 'message' | 'attributes'> & { errorKind?: TargetErrorKind };

async function runStep(step: ScenarioStep, deps: ScenarioDeps, options: RunOptions): Promise<Outcome> {
  const { signal } = options;
  switch (step.type) {
    case 'update': {
      const answer = await deps.updateProfile(step.idType, step.id, step.attributes, signal);
      // success=false: Target read the update and refused it; the state is not set up.
      if (!answer.success) {
        return {
          status: 'errored',
          message: l10n.t('Target refused the update: {0}', answer.message || l10n.t('no reason given')),
          attributes: [],
          errorKind: 'rejected',
        };
      }
      return { status: 'passed', message: answer.message, attributes: [] };
    }
    case 'wait':
      await deps.sleep(step.seconds * 1000, signal);
      return { status: 'passed', message: l10n.t('Waited {0} s.', count(step.seconds)), attributes: [] };
    case 'batch': {
      const file = path.resolve(options.baseDir ?? process.cwd(), step.file);
      const urls = await deps.submitBatch(file, step.apiVersion, signal);
      if (!step.wait) {
        return {
          status: 'passed',
          message: l10n.t('Submitted {0} upload(s): {1}', count(urls.length), urls.join(' ')),
          attributes: [],
        };
      }
      const states: string[] = [];
      for (const url of urls) states.push((await deps.waitForBatch(url, signal)).status);
      if (states.some((s) => s !== 'complete')) {
        // The states are Target's own words (incomplete, stuck), shown as Target gives them.
        return {
          status: 'errored',
          message: l10n.t('The batch did not complete: {0} ({1})', states.join(', '), urls.join(' ')),
          attributes: [],
          errorKind: 'server',
        };
      }
      return { status: 'passed', message: l10n.t('{0} upload(s) complete.', count(urls.length)), attributes: [] };
    }
    case 'verify':
      return verify(step, deps, options);
    case 'preview':
      return preview(step, deps, options);
  }
}

/** Longest content shown in a failed `contentContains`. */
const CONTENT_SHOWN = 120;

/** Each expectation of each mbox against what was served, in the file's order. */
export function compareServed(
  expect: Record<string, MboxExpectation>,
  served: readonly ServedMbox[],
): AttributeResult[] {
  const nothing = l10n.t('(nothing served)');
  const results: AttributeResult[] = [];
  for (const [mbox, expectation] of Object.entries(expect)) {
    const got = served.find((m) => m.name === mbox);
    const isServed = !!got?.served;
    if (expectation.nothingServed) {
      const what = got && isServed ? describeServed(got) : undefined;
      results.push({
        name: mbox,
        state: what === undefined ? 'match' : 'differs',
        expected: nothing,
        ...(what === undefined ? {} : { actual: what }),
      });
      continue;
    }
    for (const key of ['activity', 'experience', 'offer'] as const) {
      const expected = expectation[key];
      if (expected === undefined) continue;
      const name = `${mbox} ${key}`;
      const actual = !got || !isServed ? nothing : (got[key] ?? l10n.t('(no {0}.name response token)', key));
      results.push({ name, state: actual === expected ? 'match' : 'differs', expected, actual });
    }
    if (expectation.contentContains !== undefined) {
      const content = got && isServed ? got.contents.join('\n') : undefined;
      const found = content !== undefined && content.includes(expectation.contentContains);
      results.push({
        name: l10n.t('{0} content contains', mbox),
        state: found ? 'match' : 'differs',
        expected: expectation.contentContains,
        actual:
          content === undefined
            ? nothing
            : content.length > CONTENT_SHOWN
              ? `${content.slice(0, CONTENT_SHOWN)}…`
              : content,
      });
    }
  }
  return results;
}

function describeServed(m: ServedMbox): string {
  return l10n.t('activity "{0}", experience "{1}"', m.activity ?? '?', m.experience ?? '?');
}

async function preview(
  step: ScenarioStep & { type: 'preview' },
  deps: ScenarioDeps,
  options: RunOptions,
): Promise<Outcome> {
  if (!deps.preview) {
    return {
      status: 'errored',
      message: l10n.t('Preview steps need the Delivery API, which this run cannot reach.'),
      attributes: [],
      errorKind: 'usage',
    };
  }
  const now = deps.now ?? Date.now;
  const within = options.verifyWithinSeconds ?? step.within;
  const budgetMs = within * 1000;
  const delays = verifyDelays(options.pollMinMs ?? 1000, options.pollMaxMs ?? 10_000, budgetMs);
  const deadline = now() + budgetMs;
  const request = {
    idType: step.idType,
    id: step.id,
    mboxes: Object.keys(step.expect),
    ...(step.url === undefined ? {} : { url: step.url }),
    ...(step.property === undefined ? {} : { property: step.property }),
  };
  let attributes: AttributeResult[] = [];
  for (let attempt = 0; ; attempt++) {
    const served = await deps.preview(request, options.signal);
    attributes = compareServed(step.expect, served);
    if (attributes.every((a) => a.state === 'match')) {
      const mboxes = count(request.mboxes.length);
      const message =
        attempt > 0
          ? l10n.t('{0} mbox(es) as expected after {1} previews.', mboxes, count(attempt + 1))
          : l10n.t('{0} mbox(es) as expected.', mboxes);
      return { status: 'passed', message, attributes };
    }
    if (attempt >= delays.length || now() + delays[attempt] > deadline) break;
    await deps.sleep(delays[attempt], options.signal);
  }
  // Target may take a while to serve by an updated profile; the message says how long this step waited.
  return {
    status: 'failed',
    message: l10n.t('{0} (after {1} s)', describeMismatches(attributes).join('; '), count(within)),
    attributes,
  };
}

async function verify(
  step: ScenarioStep & { type: 'verify' },
  deps: ScenarioDeps,
  options: RunOptions,
): Promise<Outcome> {
  const now = deps.now ?? Date.now;
  const budgetMs = (options.verifyWithinSeconds ?? step.within) * 1000;
  const delays = verifyDelays(options.pollMinMs ?? 1000, options.pollMaxMs ?? 10_000, budgetMs);
  const deadline = now() + budgetMs;
  const expected = Object.entries(step.expect);
  let attributes: AttributeResult[] = [];
  let message = '';
  for (let attempt = 0; ; attempt++) {
    const fetched = await deps.fetchProfile(step.idType, step.id, options.signal);
    if (fetched.found && fetched.profile) {
      const report = compareAttributes(expected, fetched.profile);
      attributes = report.checks.map((c) => ({
        name: c.name,
        state: c.state,
        expected: c.expected,
        ...(c.state === 'differs' ? { actual: c.actual } : {}),
      }));
      if (report.allMatch) {
        const message =
          attempt > 0
            ? l10n.t('{0} attribute(s) match after {1} fetches.', count(attributes.length), count(attempt + 1))
            : l10n.t('{0} attribute(s) match.', count(attributes.length));
        return { status: 'passed', message, attributes };
      }
      message = describeMismatches(attributes).join('; ');
    } else {
      attributes = expected
        .filter(([, v]) => v !== '')
        .map(([name, value]) => ({ name, state: 'missing' as const, expected: value }));
      message = l10n.t('Profile not found: {0}', fetched.message ?? l10n.t('no message'));
    }
    // Fetches take time too: stop when the next pause would end past the budget.
    if (attempt >= delays.length || now() + delays[attempt] > deadline) break;
    await deps.sleep(delays[attempt], options.signal);
  }
  const within = options.verifyWithinSeconds ?? step.within;
  return { status: 'failed', message: l10n.t('{0} (after {1} s)', message, count(within)), attributes };
}
