import type { MessagePort } from 'worker_threads';
import { useDisplayLanguage } from '../displayLanguage';
import { type DocumentRequest, OpenDocuments } from './openDocuments';

/** What the editor's side hands a 'documents' worker: its display language, for the problems' messages. */
export interface DocumentsRoleData {
  role: 'documents';
  displayLanguage: string;
  bundle: Record<string, string> | undefined;
}

/** The 'documents' role of the batch worker: OpenDocuments answering the editor's requests on `port`. */
export function runDocumentsRole(data: DocumentsRoleData, port: MessagePort): void {
  useDisplayLanguage(data.displayLanguage, data.bundle);
  const documents = new OpenDocuments((reply) => port.postMessage(reply));
  port.on('message', (request: DocumentRequest) => documents.handle(request));
}
