import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  BatchDocumentChecks,
  type BatchDocumentSource,
  type DocumentPort,
  type DocumentProblems,
  startDocumentWorker,
} from '../../../../src/core/batch/documentChecks';
import { OpenDocuments } from '../../../../src/core/batch/openDocuments';
import { validateText } from '../../../../src/core/batch/validator';
import { prng } from '../../../support/prng';

/**
 * The problems of open documents, computed in a worker (or in this thread where none starts): the
 * same as validateText of the document's text as it is now, whether the worker read the file or
 * was sent the text, also when the document changes while they are computed.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-documents-'));

/** An editor document held as lines, like the extension host's. */
class FakeDocument {
  version = 1;
  constructor(
    public lines: string[],
    public path: string | undefined = undefined,
    readonly eol: '\n' | '\r\n' = '\n',
  ) {}

  get text(): string {
    return this.lines.join('\n');
  }

  source(): BatchDocumentSource {
    const lines = this.lines;
    return {
      version: this.version,
      lineCount: lines.length,
      path: this.path,
      eol: this.eol,
      utf16Length: () => lines.reduce((n, l) => n + l.length, lines.length - 1),
      textOf: (start, end) => lines.slice(start, end).join(this.eol) + (end < lines.length ? this.eol : ''),
    };
  }

  /** Replaces lines start..oldEnd with `replacement`, as an edit in the editor would. */
  edit(start: number, oldEnd: number, replacement: string[]): void {
    this.lines = [...this.lines.slice(0, start), ...replacement, ...this.lines.slice(oldEnd + 1)];
    this.path = undefined;
    this.version++;
  }
}

function batch(rows: number, rand = prng(7)): string[] {
  const lines = ['batch=thirdPartyId,tier,visits'];
  for (let i = 0; i < rows; i++) {
    const r = rand();
    lines.push(r < 0.02 ? `crm-${i % 50},gold&x,1` : r < 0.03 ? '' : `crm-${i},gold,${i % 13}`);
  }
  lines.push('');
  return lines;
}

/** Checks with answers collected per key; `port` chooses the worker or this thread. */
function checksWith(port: () => DocumentPort | undefined) {
  const answers = new Map<string, DocumentProblems[]>();
  const waiting = new Map<string, () => void>();
  const checks = new BatchDocumentChecks({
    startWorker: port,
    onProblems: (key, problems) => {
      answers.set(key, [...(answers.get(key) ?? []), problems]);
      waiting.get(key)?.();
    },
  });
  /** The complete answer for `version`, with the model built (fix-all counted). */
  const settled = async (key: string, version: number, timeoutMs = 20_000): Promise<DocumentProblems> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = answers.get(key)?.find((a) => a.version === version && a.fixable !== undefined);
      if (found) return found;
      assert.ok(Date.now() < deadline, `no settled answer for ${key} at version ${version}`);
      await new Promise<void>((resolve) => {
        waiting.set(key, resolve);
        setTimeout(resolve, 200);
      });
    }
  };
  return { checks, answers, settled };
}

const ports: [string, () => DocumentPort | undefined][] = [
  ['in a worker', startDocumentWorker],
  ['in this thread', () => undefined],
];

describe('problems of open batch documents (BatchDocumentChecks, OpenDocuments)', function () {
  this.timeout(60_000);

  it('finds the worker script next to the bundles', () => {
    const port = startDocumentWorker();
    assert.ok(port, 'dist/batchWorker.js was not found');
    void port.terminate();
  });

  for (const [where, port] of ports) {
    describe(where, () => {
      it('answers for an unsaved document sent as text, as validateText does', async () => {
        const { checks, answers, settled } = checksWith(port);
        try {
          const document = new FakeDocument(batch(40_000));
          checks.open('a', () => document.source());
          const answer = await settled('a', 1);
          const expected = validateText(document.text);
          assert.deepStrictEqual(answer.diagnostics, expected.diagnostics);
          assert.deepStrictEqual(answer.summary, expected.summary);
          // The first complete answer came from the engine, before the model was built.
          assert.ok(answers.get('a')!.some((a) => a.summary && a.fixable === undefined));
        } finally {
          checks.dispose();
        }
      });

      it('reads a saved document from its file, and its text when the file is not what the editor shows', async () => {
        const { checks, settled } = checksWith(port);
        try {
          const lines = batch(5000);
          const saved = path.join(dir, 'saved.batch');
          fs.writeFileSync(saved, lines.join('\n'));
          const document = new FakeDocument(lines, saved);
          checks.open('saved', () => document.source());
          assert.deepStrictEqual((await settled('saved', 1)).diagnostics, validateText(document.text).diagnostics);
          // CRLF on disk: the editor shows lines without CR, so the file's CRs must not be reported.
          const crlf = path.join(dir, 'crlf.batch');
          fs.writeFileSync(crlf, lines.join('\r\n'));
          const shown = new FakeDocument(lines, crlf, '\r\n');
          checks.open('crlf', () => shown.source());
          const answer = await settled('crlf', 1);
          assert.ok(!answer.diagnostics.some((d) => d.code === 'TP028' && /CR/.test(d.message)));
          assert.deepStrictEqual(answer.diagnostics, validateText(document.text).diagnostics);
          // A file that changed since the editor read it.
          const stale = path.join(dir, 'stale.batch');
          fs.writeFileSync(stale, 'batch=pcId,a\n1,2\n');
          const old = new FakeDocument(lines, stale);
          checks.open('stale', () => old.source());
          assert.deepStrictEqual((await settled('stale', 1)).diagnostics, validateText(old.text).diagnostics);
        } finally {
          checks.dispose();
        }
      });

      it('stays correct through edits made while the first pass reads the document', async () => {
        const { checks, settled } = checksWith(port);
        const rand = prng(11);
        try {
          const document = new FakeDocument(batch(120_000));
          checks.open('edited', () => document.source());
          for (let k = 0; k < 40; k++) {
            await new Promise((resolve) => setImmediate(resolve));
            const start = 1 + Math.floor(rand() * (document.lines.length - 3));
            const oldEnd = start + Math.floor(rand() * 3) - 1;
            const replacement = Array.from({ length: Math.floor(rand() * 3) }, (_, i) =>
              rand() < 0.5 ? `crm-${k}-${i},a+b,1` : `crm-${Math.floor(rand() * 100)},x,2`,
            );
            document.edit(start, Math.max(start - 1, oldEnd), replacement);
            checks.change('edited', document.version, start, Math.max(start - 1, oldEnd), replacement);
          }
          const answer = await settled('edited', document.version);
          assert.deepStrictEqual(answer.diagnostics, validateText(document.text).diagnostics);
          // And an edit once the model is built.
          document.edit(2, 2, ['crm-0,dup,1', 'crm-0,dup,2']);
          checks.change('edited', document.version, 2, 2, ['crm-0,dup,1', 'crm-0,dup,2']);
          const after = await settled('edited', document.version);
          assert.deepStrictEqual(after.diagnostics, validateText(document.text).diagnostics);
        } finally {
          checks.dispose();
        }
      });

      it('shows the problems of the first lines of a long unsaved document while the rest is read', async () => {
        const { checks, answers, settled } = checksWith(port);
        try {
          const document = new FakeDocument(batch(400_000));
          checks.open('long', () => document.source());
          await settled('long', 1, 60_000);
          // Every problem: an answer carries the first MAX_SENT only, and an early one may reach past them.
          const complete = (await checks.all('long'))!;
          const list = answers.get('long')!;
          const firstComplete = list.findIndex((a) => a.summary !== undefined);
          const partial = list.slice(0, firstComplete);
          assert.ok(partial.length > 0, 'no answer came before the whole document was read');
          // Each is the start of the final list: the first lines' problems, as they will stay.
          for (const early of partial) {
            assert.ok(early.diagnostics.length < complete.diagnostics.length);
            const last = early.diagnostics[early.diagnostics.length - 1];
            const before = complete.diagnostics.filter((d) => d.line <= last.line && d.code !== 'TP014');
            assert.deepStrictEqual(
              early.diagnostics.filter((d) => d.code !== 'TP014'),
              before,
            );
          }
        } finally {
          checks.dispose();
        }
      });

      it('sends the first problems of a long document before the rest, and every problem on request', async () => {
        const { checks, answers, settled } = checksWith(port);
        try {
          // Every row has a problem: more than one answer carries.
          const lines = ['batch=thirdPartyId,a', ...Array.from({ length: 30_000 }, (_, i) => `id${i},a&b`), ''];
          const document = new FakeDocument(lines);
          checks.open('many', () => document.source());
          const answer = await settled('many', 1);
          assert.strictEqual(answer.total, 30_000);
          assert.ok(!answer.complete && answer.diagnostics.length < answer.total);
          const all = await checks.all('many');
          assert.deepStrictEqual(all?.diagnostics, validateText(document.text).diagnostics);
          assert.ok(answers.get('many')!.length >= 2);
        } finally {
          checks.dispose();
        }
      });
    });
  }

  it('moves the checks into this thread when the worker fails, and checks every open document again', async () => {
    let fail: ((error: Error) => void) | undefined;
    let terminated = false;
    // A worker that takes requests and then dies.
    const dying: DocumentPort = {
      postMessage: () => undefined,
      on: (event: 'message' | 'error', listener: never) => {
        if (event === 'error') fail = listener;
      },
      terminate: () => (terminated = true),
    };
    const failures: string[] = [];
    const answers = new Map<string, DocumentProblems>();
    const checks = new BatchDocumentChecks({
      startWorker: () => dying,
      onProblems: (key, problems) => {
        if (problems.fixable !== undefined) answers.set(key, problems);
      },
      onWorkerFailed: (error) => failures.push(error.message),
    });
    try {
      const a = new FakeDocument(batch(3000));
      const b = new FakeDocument(batch(2000, prng(3)));
      checks.open('a', () => a.source());
      checks.open('b', () => b.source());
      fail!(new Error('worker ran out of memory'));
      const deadline = Date.now() + 20_000;
      while (answers.size < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepStrictEqual(failures, ['worker ran out of memory']);
      assert.ok(terminated);
      assert.deepStrictEqual(answers.get('a')?.diagnostics, validateText(a.text).diagnostics);
      assert.deepStrictEqual(answers.get('b')?.diagnostics, validateText(b.text).diagnostics);
    } finally {
      checks.dispose();
    }
  });

  it('stops a first pass when its document closes: no answer comes after', async () => {
    const replies: string[] = [];
    const documents = new OpenDocuments((reply) => replies.push(reply.kind));
    const lines = batch(200_000);
    documents.handle({ kind: 'open', id: 1, version: 1 });
    documents.handle({ kind: 'text', id: 1, version: 1, text: lines.slice(0, 100_000).join('\n') + '\n', last: false });
    await new Promise((resolve) => setImmediate(resolve));
    documents.handle({ kind: 'close', id: 1 });
    // What came before the close (the first lines' problems, perhaps) is the editor's to drop.
    const before = replies.length;
    documents.handle({ kind: 'text', id: 1, version: 1, text: lines.slice(100_000).join('\n'), last: true });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(!replies.slice(before).includes('problems'), replies.join(', '));
  });
});
