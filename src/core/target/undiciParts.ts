/**
 * The undici modules the client uses, evaluated together on the first request (see undici.ts).
 * The extension's build writes this file as its own bundle, dist/undici.js, so that the 300 KB of
 * HTTP machinery is not even compiled when VS Code loads the extension; other bundles inline it.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as Undici from 'undici';

// undici's index gives every dispatcher its request/connect/stream methods this way; ProxyAgent
// relies on them (it tunnels with `connect`), so the same is done here before anything is built.
Object.assign(require('undici/lib/dispatcher/dispatcher').prototype, require('undici/lib/api'));

export const Agent: typeof Undici.Agent = require('undici/lib/dispatcher/agent');
export const ProxyAgent: typeof Undici.ProxyAgent = require('undici/lib/dispatcher/proxy-agent');
