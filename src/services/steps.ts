import * as vscode from 'vscode';
import { StepFlow, type FlowStep } from '../core/steps';

/*
 * The one way a palette flow asks its questions: a title, the step number out of the steps that remain
 * for the answers given, a Back button from the second step on, the answer remembered when stepping back,
 * validation as the user types, and Escape ending the flow with nothing saved (the caller acts only on
 * the answers `askSteps` returns). The logic is `StepFlow` in src/core/steps.ts.
 */

type Problem = string | vscode.InputBoxValidationMessage | undefined;

export interface InputStep<S> extends FlowStep<S> {
  readonly kind: 'input';
  /** What to enter, with an example. */
  prompt(state: S): string;
  placeholder?(state: S): string | undefined;
  /** The answer this step has now (a default, or what was answered before Back). */
  value(state: S): string;
  readonly password?: boolean;
  /** Checked on every keystroke and again on Enter; only an error (not an info) stops Enter. */
  validate?(value: string, state: S): Problem;
  apply(state: S, value: string): S;
  /** True when this answer asks the same step again (one more name=value), with the new state. */
  again?(state: S, value: string): boolean;
}

export interface PickItem<V> extends vscode.QuickPickItem {
  value: V;
}

export interface PickStep<S, V = unknown> extends FlowStep<S> {
  readonly kind: 'pick';
  placeholder(state: S): string;
  /** The options, the one to suggest first. A step with a single option is never asked: that option is taken. */
  items(state: S): PickItem<V>[];
  /** The option answered before, highlighted when the user comes back. */
  selected?(state: S): V | undefined;
  apply(state: S, value: V): S;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each pick step has its own kind of value
export type Step<S> = InputStep<S> | PickStep<S, any>;

/** A pick step whose single option is its answer: the flow takes it without asking. */
function withKnownSingleChoice<S>(step: Step<S>): Step<S> {
  if (step.kind !== 'pick') return step;
  return {
    ...step,
    known: (state: S) => {
      const given = step.known?.(state);
      if (given !== undefined) return given;
      const items = step.items(state);
      return items.length === 1 ? step.apply(state, items[0].value) : undefined;
    },
  };
}

type Outcome<S> = { kind: 'answer'; state: S; again?: boolean } | { kind: 'back'; draft?: string } | { kind: 'cancel' };

/**
 * Asks the steps that are not answered yet and returns the answers, or undefined when the user pressed
 * Escape (or the input was hidden) at any step.
 */
export async function askSteps<S>(title: string, steps: readonly Step<S>[], initial: S): Promise<S | undefined> {
  const flow = new StepFlow<S, Step<S>>(steps.map(withKnownSingleChoice), initial);
  while (!flow.done) {
    const step = flow.step!;
    const outcome = step.kind === 'input' ? await showInput(title, flow, step) : await showPick(title, flow, step);
    if (outcome.kind === 'cancel') return undefined;
    if (outcome.kind === 'back') flow.back(outcome.draft);
    else if (outcome.again) flow.replace(outcome.state);
    else flow.answer(outcome.state);
  }
  return flow.state;
}

function frame<S>(
  title: string,
  flow: StepFlow<S, Step<S>>,
  input: vscode.QuickInput & { buttons: readonly vscode.QuickInputButton[] },
): void {
  const { step, total } = flow.position;
  input.title = title;
  if (total > 1) {
    input.step = step;
    input.totalSteps = total;
  }
  input.buttons = flow.canGoBack ? [vscode.QuickInputButtons.Back] : [];
  input.ignoreFocusOut = true;
}

function isError(problem: Problem): boolean {
  if (problem === undefined || problem === '') return false;
  return typeof problem === 'string' || problem.severity === vscode.InputBoxValidationSeverity.Error;
}

function showInput<S>(title: string, flow: StepFlow<S, Step<S>>, step: InputStep<S>): Promise<Outcome<S>> {
  return new Promise((resolve) => {
    const box = vscode.window.createInputBox();
    frame(title, flow, box);
    const state = flow.state;
    box.prompt = step.prompt(state);
    box.placeholder = step.placeholder?.(state);
    box.password = !!step.password;
    box.value = flow.draft(step.id) ?? step.value(state);
    const check = (value: string) => {
      box.validationMessage = step.validate?.(value, state) || undefined;
    };
    // An empty answer is not an error until the user tries to go on with it.
    if (box.value !== '') check(box.value);
    let settled = false;
    const finish = (outcome: Outcome<S>) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
      box.hide();
      subscriptions.forEach((d) => d.dispose());
      box.dispose();
    };
    const subscriptions = [
      box.onDidChangeValue(check),
      box.onDidTriggerButton((button) => {
        if (button === vscode.QuickInputButtons.Back) finish({ kind: 'back', draft: box.value });
      }),
      box.onDidAccept(() => {
        const value = box.value;
        const problem = step.validate?.(value, state);
        if (isError(problem)) {
          box.validationMessage = problem;
          return;
        }
        finish({ kind: 'answer', state: step.apply(state, value), again: step.again?.(state, value) });
      }),
      box.onDidHide(() => finish({ kind: 'cancel' })),
    ];
    box.show();
  });
}

function showPick<S>(title: string, flow: StepFlow<S, Step<S>>, step: PickStep<S, unknown>): Promise<Outcome<S>> {
  return new Promise((resolve) => {
    const pick = vscode.window.createQuickPick<PickItem<unknown>>();
    frame(title, flow, pick);
    const state = flow.state;
    pick.placeholder = step.placeholder(state);
    pick.items = step.items(state);
    const selected = step.selected?.(state);
    const active = pick.items.find((i) => selected !== undefined && i.value === selected);
    if (active) pick.activeItems = [active];
    let settled = false;
    const finish = (outcome: Outcome<S>) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
      pick.hide();
      subscriptions.forEach((d) => d.dispose());
      pick.dispose();
    };
    const subscriptions = [
      pick.onDidTriggerButton((button) => {
        if (button === vscode.QuickInputButtons.Back) finish({ kind: 'back' });
      }),
      pick.onDidAccept(() => {
        const item = pick.selectedItems[0] ?? pick.activeItems[0];
        if (item) finish({ kind: 'answer', state: step.apply(state, item.value) });
      }),
      pick.onDidHide(() => finish({ kind: 'cancel' })),
    ];
    pick.show();
  });
}
