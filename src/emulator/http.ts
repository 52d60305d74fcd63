import type * as http from 'http';

/** Reads a whole request body as UTF-8, keeping at most `limit` bytes; `bytes` counts all that arrived. */
export function readBody(req: http.IncomingMessage, limit: number): Promise<{ text: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), bytes }));
    req.on('error', reject);
  });
}

/** The answer of the Profile API's update, batch and status routes. */
export function xmlResponse(res: http.ServerResponse, status: number, body: string): void {
  // Adobe does not document the content type; we assume XML, which the bodies are
  // (docs/target-api.md#error-shapes).
  res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' });
  res.end(body);
}

/** The answer of the profile fetch, IMS and control routes, and of a request no route matched. */
export function jsonResponse(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' });
  res.end(JSON.stringify(body));
}

/** A short plain-text answer, after discarding whatever body the request has. */
export function textResponse(req: http.IncomingMessage, res: http.ServerResponse, status: number, text: string): void {
  req.resume();
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(text);
}
