import type * as http from 'http';
import type { InjectedFailure } from './state';

/** Drops the connection: after some of the body has arrived, or after part of the answer was sent. */
export function dropConnection(req: http.IncomingMessage, res: http.ServerResponse): void {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody) {
    req.once('data', () => req.socket.destroy());
    return;
  }
  res.writeHead(200, { 'content-type': 'text/xml', 'content-length': '1000' });
  res.write('<response><success>', () => req.socket.destroy());
}

/** Answers with the injected status (and Retry-After), whatever the route. */
export function answerInjectedFailure(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  failure: InjectedFailure,
): void {
  req.resume();
  res.writeHead(failure.status, {
    'content-type': 'text/plain',
    ...(failure.retryAfter ? { 'retry-after': failure.retryAfter } : {}),
  });
  res.end(`Injected failure: HTTP ${failure.status}`);
}
