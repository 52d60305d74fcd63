import * as assert from 'assert';
import { StepFlow, type FlowStep } from '../../../src/core/steps';

interface Answers {
  connection?: string;
  connections: string[];
  auth?: 'token' | 'none';
  token?: string;
  name?: string;
}

/** A flow shaped like Set Token and Add Connection: a pick that may be known, a choice, a step it may skip. */
const steps: FlowStep<Answers>[] = [
  {
    id: 'connection',
    known: (s) => (s.connection ? s : s.connections.length === 1 ? { ...s, connection: s.connections[0] } : undefined),
  },
  { id: 'name' },
  { id: 'auth' },
  { id: 'token', skip: (s) => s.auth === 'none' },
];

describe('palette step flow', () => {
  it('does not ask or count a step whose answer is known (a single connection)', () => {
    const flow = new StepFlow<Answers>(steps, { connections: ['only'] });
    assert.strictEqual(flow.step?.id, 'name');
    assert.strictEqual(flow.state.connection, 'only');
    assert.deepStrictEqual(flow.position, { step: 1, total: 3 });
    assert.strictEqual(flow.canGoBack, false);
  });

  it('asks the pick when there is a choice, and numbers every asked step', () => {
    const flow = new StepFlow<Answers>(steps, { connections: ['a', 'b'] });
    assert.strictEqual(flow.step?.id, 'connection');
    assert.deepStrictEqual(flow.position, { step: 1, total: 4 });
    flow.answer({ ...flow.state, connection: 'b' });
    assert.deepStrictEqual(flow.position, { step: 2, total: 4 });
    assert.strictEqual(flow.canGoBack, true);
  });

  it('recounts the steps once an answer skips one', () => {
    const flow = new StepFlow<Answers>(steps, { connections: ['only'] });
    flow.answer({ ...flow.state, name: 'n' });
    assert.deepStrictEqual(flow.position, { step: 2, total: 3 });
    flow.answer({ ...flow.state, auth: 'none' });
    assert.strictEqual(flow.done, true);
    assert.strictEqual(flow.step, undefined);
    assert.deepStrictEqual(flow.state, { connections: ['only'], connection: 'only', name: 'n', auth: 'none' });
  });

  it('goes back to the previous asked step with the answers and the draft kept', () => {
    const flow = new StepFlow<Answers>(steps, { connections: ['only'] });
    flow.answer({ ...flow.state, name: 'Acme' });
    flow.answer({ ...flow.state, auth: 'token' });
    assert.strictEqual(flow.step?.id, 'token');
    flow.back('half-typed');
    assert.strictEqual(flow.step?.id, 'auth');
    assert.strictEqual(flow.state.name, 'Acme');
    assert.strictEqual(flow.state.auth, 'token');
    flow.back();
    assert.strictEqual(flow.step?.id, 'name');
    assert.strictEqual(flow.canGoBack, false);
    // Back from the first asked step stays there; the known connection is never gone back to.
    flow.back();
    assert.strictEqual(flow.step?.id, 'name');
    flow.answer(flow.state);
    flow.answer(flow.state);
    assert.strictEqual(flow.step?.id, 'token');
    assert.strictEqual(flow.draft('token'), 'half-typed');
    flow.answer({ ...flow.state, token: 't' });
    assert.strictEqual(flow.draft('token'), undefined);
    assert.strictEqual(flow.done, true);
  });

  it('asks the same step again for one more answer without moving on', () => {
    const flow = new StepFlow<Answers>(steps, { connections: ['only'] });
    flow.replace({ ...flow.state, name: 'first' });
    assert.strictEqual(flow.step?.id, 'name');
    assert.deepStrictEqual(flow.position, { step: 1, total: 3 });
    assert.strictEqual(flow.state.name, 'first');
  });

  it('is done at once when every answer is known', () => {
    const flow = new StepFlow<Answers>([steps[0]], { connections: ['x'] });
    assert.strictEqual(flow.done, true);
    assert.strictEqual(flow.state.connection, 'x');
  });
});
