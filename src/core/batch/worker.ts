import { parentPort, workerData, type MessagePort } from 'worker_threads';
import { runDocumentsRole } from './documentsRole';
import { runPrepareRole } from './prepareRole';

/**
 * The batch worker: one script (dist/batchWorker.js, built from this file by esbuild.js) for every
 * worker thread the batch engine starts. Which work a worker does is its role, named by
 * `workerData.role`; the rest of workerData is the role's own.
 *
 * To add a role: write it in a module of its own as a function of its workerData and the port it
 * answers on (as runPrepareRole), add it to `roles` below, and start it with
 * `new Worker(batchWorkerScript(), { workerData: { role: 'its-name', ... } })` (workerScript.ts
 * finds the script from any bundle; when there is none, do the work on the calling thread).
 */
const roles: Record<string, (data: never, port: MessagePort) => void> = {
  // RowKernel's helper: reads and prepares chunks ahead of the scan, and dedupes half the id log.
  prepare: runPrepareRole,
  // The problems of the documents open in the editor (openDocuments.ts), started by documentChecks.ts.
  documents: runDocumentsRole,
};

function start(): void {
  if (parentPort === null) throw new Error('batchWorker.js runs as a worker thread (new Worker), not on its own');
  const role = (workerData as { role?: unknown } | undefined)?.role;
  const run = typeof role === 'string' && Object.hasOwn(roles, role) ? roles[role] : undefined;
  if (run === undefined) throw new Error(`batch worker: no role ${JSON.stringify(role)}`);
  run(workerData as never, parentPort);
}

start();
