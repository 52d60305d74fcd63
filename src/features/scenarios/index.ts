import * as path from 'path';
import * as vscode from 'vscode';
import {
  describeMismatches,
  runScenario,
  type RunOptions,
  type ScenarioResult,
  type StepResult,
} from '../../core/scenarios/runner';
import {
  SCENARIO_FILE_PATTERN,
  SCENARIO_GLOB,
  parseScenario,
  type ParsedScenario,
  type SourceRange,
} from '../../core/scenarios/scenario';
import { targetScenarioDeps } from '../../core/scenarios/targetDeps';
import type { TargetClient } from '../../core/target/client';
import { TargetError } from '../../core/target/errors';
import { Commands, SETTINGS_SECTION } from '../../contributions';
import type { Connection } from '../../services/connectionStore';
import { Disposable } from '../../services/lifecycle';
import type { FeatureRegistration, Services } from '../../services';
import { describeError } from '../../services/targetAccess';
import type { DeliveryClient } from '../../core/delivery/client';
import { SessionStore } from '../../core/delivery/session';

/**
 * QA scenarios in the editor: every `*.targetprofile.json(c)` of the workspace is a test in the Test
 * Explorer (its verify and preview steps are the children), with CodeLenses to run the file or one step. Running
 * is the core runner (src/core/scenarios) with the connection's real client.
 */
export const register: FeatureRegistration = (_context, services) => new ScenarioTests(services);

/** What the commands return (the shape of the command line's `--json` per scenario). */
export interface ScenarioSummary {
  path: string;
  passed: boolean;
  /** Whether the Test Explorer already listed the file before the command ran. */
  discovered: boolean;
  /** The file's test item and its children as the Test Explorer shows them. */
  tests: { id: string; label: string; children: { id: string; label: string; line: number }[] };
  steps: {
    index: number;
    type: string;
    name: string;
    status: string;
    durationMs: number;
    message: string;
    attributes: { name: string; state: string; expected: string; actual: string | null }[];
  }[];
  error?: string;
}

function toRange(r: SourceRange): vscode.Range {
  return new vscode.Range(r.line, r.column, r.endLine, r.endColumn);
}

function isScenarioUri(uri: vscode.Uri): boolean {
  return SCENARIO_FILE_PATTERN.test(uri.path);
}

class ScenarioTests extends Disposable {
  private readonly controller: vscode.TestController;
  /** The last parse of each file, by URI string: for the CodeLenses and for running. */
  private readonly parsed = new Map<string, ParsedScenario>();
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  private discovery: Promise<void> | undefined;

  constructor(private readonly services: Services) {
    super();
    this.controller = this.register(
      vscode.tests.createTestController('targetProfiles.scenarios', vscode.l10n.t('Target Profile Scenarios')),
    );
    this.register(this.lensesChanged);
    this.controller.resolveHandler = async (item) => {
      if (!item) await this.discoverAll();
    };
    this.controller.refreshHandler = async () => {
      this.discovery = undefined;
      await this.discoverAll();
    };
    this.register(
      this.controller.createRunProfile(
        vscode.l10n.t('Run'),
        vscode.TestRunProfileKind.Run,
        (request, token) => this.runRequest(request, token),
        true,
      ),
    );
    const watcher = this.register(vscode.workspace.createFileSystemWatcher(SCENARIO_GLOB));
    this.register(watcher.onDidCreate((uri) => void this.refreshFile(uri)));
    this.register(watcher.onDidChange((uri) => void this.refreshFile(uri)));
    this.register(
      watcher.onDidDelete((uri) => {
        this.controller.items.delete(uri.toString());
        this.parsed.delete(uri.toString());
        this.lensesChanged.fire();
      }),
    );
    // Open documents are parsed as they are edited, so items and lenses follow unsaved text.
    const fromDocument = (document: vscode.TextDocument) => {
      if (isScenarioUri(document.uri) && document.uri.scheme !== 'git') this.update(document.uri, document.getText());
    };
    this.register(vscode.workspace.onDidOpenTextDocument(fromDocument));
    this.register(vscode.workspace.onDidChangeTextDocument((e) => fromDocument(e.document)));
    for (const document of vscode.workspace.textDocuments) fromDocument(document);
    void this.discoverAll();

    this.register(
      vscode.languages.registerCodeLensProvider(
        [{ pattern: '**/*.targetprofile.json' }, { pattern: '**/*.targetprofile.jsonc' }],
        { onDidChangeCodeLenses: this.lensesChanged.event, provideCodeLenses: (document) => this.codeLenses(document) },
      ),
    );
    this.register(
      vscode.commands.registerCommand(Commands.runScenario, (uri?: vscode.Uri) => this.runFromCommand(uri)),
    );
    this.register(
      vscode.commands.registerCommand(
        Commands.runScenarioStep,
        (uri: vscode.Uri, stepIndex: number, options?: { once?: boolean }) =>
          this.runFromCommand(uri, { only: [stepIndex], once: options?.once }),
      ),
    );
  }

  private discoverAll(): Promise<void> {
    this.discovery ??= (async () => {
      const files = await vscode.workspace.findFiles(SCENARIO_GLOB, '**/node_modules/**');
      await Promise.all(files.map((uri) => this.refreshFile(uri)));
    })();
    return this.discovery;
  }

  private async readText(uri: vscode.Uri): Promise<string> {
    // An open document may hold unsaved changes: that is the text the user sees and means.
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open) return open.getText();
    return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  }

  private async refreshFile(uri: vscode.Uri): Promise<ParsedScenario | undefined> {
    try {
      return this.update(uri, await this.readText(uri));
    } catch (error) {
      this.services.log.warn(`scenario ${uri.fsPath}: ${describeError(error)}`);
      return undefined;
    }
  }

  /** Re-parses one file and rebuilds its test item and children. */
  private update(uri: vscode.Uri, text: string): ParsedScenario {
    const parsed = parseScenario(text);
    this.parsed.set(uri.toString(), parsed);
    let item = this.controller.items.get(uri.toString());
    if (!item) {
      item = this.controller.createTestItem(uri.toString(), path.basename(uri.path), uri);
      this.controller.items.add(item);
    }
    item.range = new vscode.Range(0, 0, 0, 0);
    item.error = parsed.problems.length
      ? new vscode.MarkdownString(parsed.problems.map((p) => `line ${p.range.line + 1}: ${p.message}`).join('\n\n'))
      : undefined;
    const children: vscode.TestItem[] = [];
    for (const step of parsed.steps.filter((s) => s.type === 'verify' || s.type === 'preview')) {
      const child = this.controller.createTestItem(
        `${uri.toString()}#${step.index}`,
        step.name ??
          (step.type === 'verify'
            ? vscode.l10n.t('verify (step {0})', step.index + 1)
            : vscode.l10n.t('preview (step {0})', step.index + 1)),
        uri,
      );
      child.range = toRange(step.range);
      children.push(child);
    }
    item.children.replace(children);
    this.lensesChanged.fire();
    return parsed;
  }

  private codeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const parsed = this.parsed.get(document.uri.toString()) ?? this.update(document.uri, document.getText());
    const lenses = [
      new vscode.CodeLens(new vscode.Range(0, 0, 0, 0), {
        title: vscode.l10n.t('Run scenario'),
        command: Commands.runScenario,
        arguments: [document.uri],
      }),
    ];
    for (const step of parsed.steps) {
      const at = new vscode.Range(step.range.line, step.range.column, step.range.line, step.range.column);
      lenses.push(
        new vscode.CodeLens(at, {
          title: vscode.l10n.t('Run step'),
          command: Commands.runScenarioStep,
          arguments: [document.uri, step.index],
        }),
      );
      if (step.type === 'verify') {
        lenses.push(
          new vscode.CodeLens(at, {
            title: vscode.l10n.t('Verify'),
            tooltip: vscode.l10n.t('Fetch the profile once and compare, without waiting'),
            command: Commands.runScenarioStep,
            arguments: [document.uri, step.index, { once: true }],
          }),
        );
      } else if (step.type === 'preview') {
        lenses.push(
          new vscode.CodeLens(at, {
            title: vscode.l10n.t('Preview once'),
            tooltip: vscode.l10n.t('Ask the Delivery API once and compare, without waiting'),
            command: Commands.runScenarioStep,
            arguments: [document.uri, step.index, { once: true }],
          }),
        );
      }
    }
    return lenses;
  }

  /** Test Explorer runs: the requested files (a child runs its whole file), one after the other. */
  private async runRequest(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    await this.discoverAll();
    const files = new Map<string, vscode.TestItem>();
    const requested = request.include ?? [...this.itemsOf(this.controller.items)];
    for (const item of requested) {
      const file = item.parent ?? item;
      if (!request.exclude?.includes(file)) files.set(file.id, file);
    }
    const run = this.controller.createTestRun(request);
    const controller = new AbortController();
    const cancel = token.onCancellationRequested(() => controller.abort());
    try {
      for (const item of files.values()) {
        if (token.isCancellationRequested) break;
        await this.runFile(item, run, controller.signal, {});
      }
    } finally {
      cancel.dispose();
      run.end();
    }
  }

  private *itemsOf(collection: vscode.TestItemCollection): Iterable<vscode.TestItem> {
    for (const [, item] of collection) yield item;
  }

  /** "Run scenario" / "Run step" / "Verify": a TestRun too, so that the results show in the Test Explorer. */
  private async runFromCommand(
    uri: vscode.Uri | undefined,
    options: { only?: number[]; once?: boolean } = {},
  ): Promise<ScenarioSummary | undefined> {
    uri ??= vscode.window.activeTextEditor?.document.uri;
    if (!uri || !isScenarioUri(uri)) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Open a scenario file (*.targetprofile.json) first.'));
      return undefined;
    }
    const discovered = this.controller.items.get(uri.toString()) !== undefined;
    await this.refreshFile(uri);
    const item = this.controller.items.get(uri.toString());
    if (!item) return undefined;
    const run = this.controller.createTestRun(new vscode.TestRunRequest([item]), path.basename(uri.path));
    const controller = new AbortController();
    try {
      return await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('Running scenario {0}', path.basename(uri.path)),
          cancellable: true,
        },
        async (_progress, token) => {
          token.onCancellationRequested(() => controller.abort());
          const summary = await this.runFile(item, run, controller.signal, {
            only: options.only,
            verifyWithinSeconds: options.once ? 0 : undefined,
          });
          return { ...summary, discovered };
        },
      );
    } finally {
      run.end();
    }
  }

  private connectionFor(name: string | undefined): Connection | undefined {
    return name === undefined
      ? this.services.connections.active()
      : this.services.connections.list().find((c) => c.name === name);
  }

  /**
   * The token of the property a preview step names, from SecretStorage; none when the step names none. A
   * name with no stored token errors the step before anything is sent, naming the ones there are.
   */
  private async propertyToken(connection: Connection, name: string | undefined): Promise<string | undefined> {
    if (name === undefined) return undefined;
    const token = await this.services.connections.propertyToken(connection.id, name);
    if (token) return token;
    const stored = (this.services.connections.get(connection.id)?.properties ?? []).map((n) => `"${n}"`).join(', ');
    throw new TargetError(
      'usage',
      stored
        ? vscode.l10n.t(
            'No property token named "{0}" is stored for {1} (it has {2}): nothing was sent. Add it with Set Property Token… or change "property".',
            name,
            connection.name,
            stored,
          )
        : vscode.l10n.t(
            'No property token named "{0}" is stored for {1} (it has none): nothing was sent. Add it with Set Property Token… or change "property".',
            name,
            connection.name,
          ),
    );
  }

  private async runFile(
    item: vscode.TestItem,
    run: vscode.TestRun,
    signal: AbortSignal,
    options: Pick<RunOptions, 'only' | 'verifyWithinSeconds'>,
  ): Promise<Omit<ScenarioSummary, 'discovered'>> {
    const uri = item.uri!;
    const children = [...this.itemsOf(item.children)];
    const tests = {
      id: item.id,
      label: item.label,
      children: children.map((c) => ({ id: c.id, label: c.label, line: c.range?.start.line ?? 0 })),
    };
    const parsed = this.parsed.get(uri.toString()) ?? (await this.refreshFile(uri));
    const fail = (message: string): Omit<ScenarioSummary, 'discovered'> => {
      run.errored(item, new vscode.TestMessage(message));
      this.services.log.error(`scenario ${uri.fsPath}: ${message}`);
      return { path: uri.fsPath, passed: false, tests, steps: [], error: message };
    };
    if (!parsed?.scenario) {
      return fail(
        parsed?.problems.map((p) => `line ${p.range.line + 1}: ${p.message}`).join('\n') ??
          vscode.l10n.t('The scenario could not be read.'),
      );
    }
    const scenario = parsed.scenario;
    const connection = this.connectionFor(scenario.connection);
    if (!connection) {
      return fail(
        scenario.connection === undefined
          ? vscode.l10n.t('Add a Target connection first.')
          : vscode.l10n.t('No connection is named "{0}"; add it or change "connection".', scenario.connection),
      );
    }
    if (
      !(await this.services.targets.mayConnect(connection, vscode.l10n.t('the requests of scenario {0}', item.label)))
    ) {
      return fail(vscode.l10n.t('Not run: the workspace is not trusted.'));
    }

    const byIndex = new Map(children.map((c) => [Number(c.id.slice(c.id.lastIndexOf('#') + 1)), c]));
    const steps = new Map(scenario.steps.map((s) => [s.index, s]));
    run.started(item);
    const clients = new Map<string, Promise<TargetClient>>();
    const clientFor = (apiVersion: 'v1' | 'v2' = connection.apiVersion) => {
      let client = clients.get(apiVersion);
      if (!client) clients.set(apiVersion, (client = this.services.targets.clientFor({ ...connection, apiVersion })));
      return client;
    };
    const settings = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    const pollMinMs = settings.get<number>('polling.minSeconds', 2) * 1000;
    const pollMaxMs = settings.get<number>('polling.maxSeconds', 30) * 1000;
    let delivery: DeliveryClient | undefined;
    let result: ScenarioResult;
    const started = Date.now();
    try {
      const deps = targetScenarioDeps(clientFor, {
        pollDelayMs: pollMinMs,
        // The Delivery API takes no profile token; a scenario run has sessions of its own.
        delivery: async () => (delivery ??= this.services.targets.deliveryClientFor(connection, new SessionStore())),
        propertyToken: (name) => this.propertyToken(connection, name),
      });
      result = await runScenario(scenario, deps, {
        ...options,
        signal,
        baseDir: path.dirname(uri.fsPath),
        pollMinMs,
        pollMaxMs,
        onStep: (event) => {
          const child = byIndex.get(event.step.index);
          if (event.phase === 'started') {
            if (child) run.started(child);
            return;
          }
          const r = event.result;
          run.appendOutput(
            `${r.status.toUpperCase()} ${r.name} (${Math.round(r.durationMs)} ms)${r.message ? `: ${r.message}` : ''}\r\n`,
          );
          const location = new vscode.Location(uri, toRange(event.step.range));
          if (child) this.report(run, child, r, location);
          else if (r.status === 'errored') run.appendOutput(`  ${r.message}\r\n`, location, item);
        },
      });
    } finally {
      for (const client of clients.values()) void client.then((c) => c.close());
      void delivery?.close();
    }
    const duration = Date.now() - started;
    const problems = result.steps.filter((s) => s.status === 'errored' && !byIndex.has(s.index));
    if (result.passed) run.passed(item, duration);
    else if (problems.length > 0) {
      run.errored(
        item,
        problems.map((p) => {
          const message = new vscode.TestMessage(`${p.name}: ${p.message}`);
          message.location = new vscode.Location(uri, toRange(steps.get(p.index)!.range));
          return message;
        }),
        duration,
      );
    } else {
      run.failed(
        item,
        new vscode.TestMessage(
          vscode.l10n.t(
            '{0} of {1} step(s) did not pass.',
            result.steps.filter((s) => s.status !== 'passed').length,
            result.steps.length,
          ),
        ),
        duration,
      );
    }
    this.services.log.info(
      `scenario ${uri.fsPath} on ${connection.name}: ${result.passed ? 'passed' : 'did not pass'} (${result.steps.map((s) => s.status).join(', ')})`,
    );
    return {
      path: uri.fsPath,
      passed: result.passed,
      tests,
      steps: result.steps.map((s) => ({
        index: s.index,
        type: s.type,
        name: s.name,
        status: s.status,
        durationMs: Math.round(s.durationMs),
        message: s.message,
        attributes: s.attributes.map((a) => ({
          name: a.name,
          state: a.state,
          expected: a.expected,
          actual: a.actual ?? null,
        })),
      })),
    };
  }

  private report(run: vscode.TestRun, child: vscode.TestItem, r: StepResult, location: vscode.Location): void {
    if (r.status === 'passed') run.passed(child, r.durationMs);
    else if (r.status === 'skipped') run.skipped(child);
    else if (r.status === 'errored') {
      const message = new vscode.TestMessage(r.message);
      message.location = location;
      run.errored(child, message, r.durationMs);
    } else {
      const differing = r.attributes.filter((a) => a.state !== 'match');
      const lines = describeMismatches(r.attributes);
      const messages = differing.length
        ? differing.map((a, i) => {
            const message = vscode.TestMessage.diff(lines[i], a.expected, a.actual ?? vscode.l10n.t('(missing)'));
            message.location = location;
            return message;
          })
        : [Object.assign(new vscode.TestMessage(r.message), { location })];
      run.failed(child, messages, r.durationMs);
    }
  }
}
