import { Agent } from 'node:https'
import type { Transport } from '@connectrpc/connect'
import { createConnectTransport } from '@connectrpc/connect-node'

/** A node's own certificate for east-west calls, and the CAs it trusts for its peers. */
export interface ClientTlsMaterial {
  /** PEM chain presented to peers that ask for a client certificate. */
  readonly cert: string
  readonly key: string
  /** PEM CAs that sign peers' server certificates (absent: the system's roots). */
  readonly ca?: string | undefined
}

/**
 * The egress client's `transportFor` (EgressOptions) for a node with TLS material: Connect over
 * HTTP/1.1 (client streams need it), binary; `https://` endpoints get one keep-alive agent that
 * presents this node's certificate and verifies the peer against `ca`; `http://` endpoints stay
 * cleartext (a mixed fleet while TLS rolls out). `close()` drops the pooled connections.
 */
export function createTlsTransportFor(tls: ClientTlsMaterial): { transportFor: (baseUrl: string) => Transport; close(): void } {
  const agent = new Agent({ keepAlive: true, cert: tls.cert, key: tls.key, ca: tls.ca, minVersion: 'TLSv1.2' })
  return {
    transportFor: (baseUrl) =>
      createConnectTransport({
        baseUrl,
        httpVersion: '1.1',
        useBinaryFormat: true,
        ...(baseUrl.startsWith('https:') ? { nodeOptions: { agent } } : {}),
      }),
    close: () => agent.destroy(),
  }
}
