/**
 * "Copy as cURL": the request as a shell command a user can run or paste into a ticket. The token
 * is never written: the command reads `$TARGET_PROFILE_TOKEN` from the environment instead.
 */
export interface CurlRequest {
  method: 'GET' | 'POST';
  url: string;
  body?: string;
  contentType?: string;
  /** Whether the connection sends a token; the command then carries the header with the variable. */
  authenticated: boolean;
}

/** POSIX single-quoting: nothing inside is expanded by the shell. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function toCurl(request: CurlRequest): string {
  const parts = ['curl', '-X', request.method, shellQuote(request.url)];
  // Double quotes so the shell expands the variable; the variable name is the CLI's.
  if (request.authenticated) parts.push('-H', '"Authorization: Bearer $TARGET_PROFILE_TOKEN"');
  if (request.contentType) parts.push('-H', shellQuote(`Content-Type: ${request.contentType}`));
  if (request.body !== undefined) parts.push('--data-binary', shellQuote(request.body));
  return parts.join(' ');
}
