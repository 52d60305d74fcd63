import * as vscode from 'vscode';
import { DeliveryClient } from '../../core/delivery/client';
import type { ProxySettings } from '../../core/target/http';
import { SETTINGS_SECTION } from '../../contributions';
import type { Connection } from '../../services/connectionStore';
import type { Services } from '../../services';

/**
 * The Delivery API client of a scenario's preview steps: the connection's client code and base URL, the
 * request timeout and VS Code's proxy settings as TargetAccess reads them, and never the profile API
 * token (the Delivery API takes none). Local to this feature until the services offer a shared builder.
 */
export function scenarioDeliveryClient(connection: Connection, services: Services): DeliveryClient {
  const settings = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const http = vscode.workspace.getConfiguration('http');
  const strictSSL = http.get<boolean>('proxyStrictSSL', true);
  const noProxy = http.get<string[] | string>('noProxy', []);
  const proxy: ProxySettings =
    http.get<string>('proxySupport', 'override') === 'off'
      ? { env: {}, strictSSL }
      : {
          proxy: http.get<string>('proxy') || undefined,
          noProxy: (Array.isArray(noProxy) ? noProxy.join(',') : noProxy) || undefined,
          proxyAuthorization: http.get<string | null>('proxyAuthorization') || undefined,
          env: process.env,
          strictSSL,
        };
  return new DeliveryClient({
    connection: {
      clientCode: connection.clientCode,
      apiVersion: connection.apiVersion,
      ...(connection.baseUrl === undefined ? {} : { baseUrl: connection.baseUrl }),
    },
    connectionKey: connection.id,
    timeoutMs: settings.get<number>('requestTimeoutSeconds', 30) * 1000,
    proxy,
    // URLs and headers come redacted from the shared sender.
    onRequest: (e) =>
      services.log.debug(
        `${e.method} ${e.url} attempt ${e.attempt} -> ${e.status ?? e.error ?? '?'} (${Math.round(e.durationMs)} ms) headers ${JSON.stringify(e.headers)}`,
      ),
  });
}
