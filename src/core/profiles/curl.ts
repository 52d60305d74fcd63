/**
 * "Copy as cURL": the request as a shell command a user can run or paste into a ticket. The token
 * is never written: the command reads `$TARGET_PROFILE_TOKEN` from the environment instead, and
 * stops with a message naming the variable when it is unset (rather than sending "Bearer " and
 * getting a 401). `--fail-with-body` makes an HTTP error a failed command that still shows Target's answer.
 */
export interface CurlRequest {
  method: 'GET' | 'POST';
  url: string;
  body?: string;
  contentType?: string;
  /** Whether the connection sends a token; the command then carries the header with the variable. */
  authenticated: boolean;
  /**
   * Environment variables standing for secrets in the body, written there as `${NAME}` (the property
   * and trace tokens of a preview): the command expands each from the environment and stops when it is unset.
   */
  variables?: string[];
}

/** The placeholder of a secret in a stored body: the command reads it from `$name`. */
export function bodyVariable(name: string): string {
  return '${' + name + '}';
}

/** A single-quoted body with each variable's placeholder closed out of the quotes, so the shell expands it. */
function quoteBody(body: string, variables: readonly string[]): string {
  let quoted = shellQuote(body);
  for (const name of variables) quoted = quoted.split(bodyVariable(name)).join(`'"$${name}"'`);
  return quoted;
}

/** POSIX single-quoting: nothing inside is expanded by the shell. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The shell guard of an authenticated command: `${VAR:?message}` stops the command when VAR is unset or empty. */
export const TOKEN_GUARD = ': "${TARGET_PROFILE_TOKEN:?set TARGET_PROFILE_TOKEN to the profile API token}"';

export function toCurl(request: CurlRequest): string {
  const parts = ['curl', '--fail-with-body', '-X', request.method, shellQuote(request.url)];
  // Double quotes so the shell expands the variable; the variable name is the CLI's.
  if (request.authenticated) parts.push('-H', '"Authorization: Bearer $TARGET_PROFILE_TOKEN"');
  if (request.contentType) parts.push('-H', shellQuote(`Content-Type: ${request.contentType}`));
  const variables = (request.variables ?? []).filter((v) => /^[A-Z_][A-Z0-9_]*$/.test(v));
  if (request.body !== undefined) parts.push('--data-binary', quoteBody(request.body, variables));
  const guards = [...(request.authenticated ? [TOKEN_GUARD] : []), ...variables.map((v) => `: "\${${v}:?set ${v}}"`)];
  const command = parts.join(' ');
  return guards.length ? `${guards.join(' && ')} && ${command}` : command;
}
