/**
 * The logic of a multi-step palette flow, without the editor: which steps are asked, their numbers,
 * Back and forward. The editor's helper (`src/services/steps.ts`) shows each asked step in an input box
 * or a quick pick; everything it decides lives here so a unit test can drive it.
 *
 * Answers live in the flow's state `S`. Going back never throws an answer away: the step gone back to
 * shows the answer it had, and steps after it keep theirs until they are answered again. What was typed
 * into a step but not accepted is kept as its draft when the user goes back from it.
 */
export interface FlowStep<S> {
  readonly id: string;
  /** True when the step has no part in the flow with these answers (the token step once credentials are chosen). */
  skip?(state: S): boolean;
  /**
   * The state with this step answered, when the answer is already known (a choice with one option, a
   * value the caller gave): such a step is neither asked nor counted.
   */
  known?(state: S): S | undefined;
}

export interface StepPosition {
  /** 1-based number of the step being asked. */
  step: number;
  /** The steps the user sees in all, given the answers so far. */
  total: number;
}

export class StepFlow<S, T extends FlowStep<S> = FlowStep<S>> {
  /** The indexes of the steps asked so far, the current one last. */
  private readonly asked: number[] = [];
  private readonly drafts = new Map<string, string>();
  private current = -1;
  private answers: S;

  constructor(
    private readonly steps: readonly T[],
    initial: S,
  ) {
    this.answers = initial;
    this.current = this.nextAsked(-1);
    if (this.current < this.steps.length) this.asked.push(this.current);
  }

  get state(): S {
    return this.answers;
  }

  /** The step to ask now; undefined once every step is answered. */
  get step(): T | undefined {
    return this.steps[this.current];
  }

  get done(): boolean {
    return this.current >= this.steps.length;
  }

  /** Whether Back has somewhere to go (the first asked step has no Back button). */
  get canGoBack(): boolean {
    return this.asked.length > 1;
  }

  get position(): StepPosition {
    let remaining = 0;
    // Later steps are counted with the answers as they stand, known answers filled in as they would be.
    let state = this.answers;
    for (let i = this.current + 1; i < this.steps.length; i++) {
      const step = this.steps[i];
      if (step.skip?.(state)) continue;
      const known = step.known?.(state);
      if (known !== undefined) state = known;
      else remaining++;
    }
    return { step: this.asked.length, total: this.asked.length + remaining };
  }

  /** What was typed into a step and left with Back, shown again when the user returns to it. */
  draft(id: string): string | undefined {
    return this.drafts.get(id);
  }

  /** Records the current step's answer and moves to the next step that must be asked. */
  answer(state: S): void {
    if (this.done) return;
    this.answers = state;
    this.drafts.delete(this.steps[this.current].id);
    this.current = this.nextAsked(this.current);
    if (!this.done) this.asked.push(this.current);
  }

  /** Records an answer that asks the same step again (one more name=value of a list). */
  replace(state: S): void {
    this.answers = state;
    if (!this.done) this.drafts.delete(this.steps[this.current].id);
  }

  /** Returns to the previous asked step, keeping what was typed into this one as its draft. */
  back(draft?: string): void {
    if (!this.canGoBack) return;
    if (draft !== undefined && !this.done) this.drafts.set(this.steps[this.current].id, draft);
    this.asked.pop();
    this.current = this.asked[this.asked.length - 1];
  }

  private nextAsked(from: number): number {
    for (let i = from + 1; i < this.steps.length; i++) {
      const step = this.steps[i];
      if (step.skip?.(this.answers)) continue;
      const known = step.known?.(this.answers);
      if (known !== undefined) {
        this.answers = known;
        continue;
      }
      return i;
    }
    return this.steps.length;
  }
}
