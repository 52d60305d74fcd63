import { parentPort, workerData } from 'worker_threads';
import { useDisplayLanguage } from '../displayLanguage';
import { type DocumentRequest, OpenDocuments } from './openDocuments';

/**
 * The batch engine's worker thread (dist/batchWorker.js), in one of its roles:
 * - 'documents': the problems of the documents open in the editor (see openDocuments.ts), in the
 *   editor's display language.
 */
interface DocumentsRole {
  role: 'documents';
  displayLanguage: string;
  bundle: Record<string, string> | undefined;
}

const data = workerData as DocumentsRole;
const port = parentPort;
if (port && data?.role === 'documents') {
  useDisplayLanguage(data.displayLanguage, data.bundle);
  const documents = new OpenDocuments((reply) => port.postMessage(reply));
  port.on('message', (request: DocumentRequest) => documents.handle(request));
}
