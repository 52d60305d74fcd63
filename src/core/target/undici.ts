/**
 * The parts of undici 7 the client uses, imported from their own modules and only when the first
 * request is made. undici's index also loads fetch, WebSocket, EventSource, caches, cookies and
 * mocks at require time (two thirds of the extension's bundle), and evaluating even the parts we use
 * took most of the extension's activation time. The types come from the package's declarations.
 */
import type * as Undici from 'undici';

export type Agent = Undici.Agent;
export type ProxyAgent = Undici.ProxyAgent;
export type Dispatcher = Undici.Dispatcher;
export type AgentOptions = Undici.Agent.Options;
export type ProxyAgentOptions = Undici.ProxyAgent.Options;

let modules: { Agent: typeof Undici.Agent; ProxyAgent: typeof Undici.ProxyAgent } | undefined;

function load(): NonNullable<typeof modules> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  modules ??= require('./undiciParts') as NonNullable<typeof modules>;
  return modules;
}

export function createAgent(options: AgentOptions): Agent {
  return new (load().Agent)(options);
}

export function createProxyAgent(options: ProxyAgentOptions): ProxyAgent {
  return new (load().ProxyAgent)(options);
}

/** undici's `request(url, { dispatcher, ... })`, with the dispatcher required. */
export function request(
  url: URL,
  options: Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Undici.Dispatcher },
): Promise<Undici.Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = options;
  return dispatcher.request({ ...rest, origin: url.origin, path: `${url.pathname}${url.search}` });
}
