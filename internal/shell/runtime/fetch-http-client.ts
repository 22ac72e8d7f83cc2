import { GatewayError } from '../errors.ts'
import type { HttpExchange } from '../http-client.ts'

/**
 * The egress client for runtimes whose own fetch pools connections well (Bun, Deno).
 * `extra` carries runtime-specific fetch options (Bun: `decompress: false`).
 */
export function createFetchHttpClient(extra: Record<string, unknown> = {}): HttpExchange {
  return async (req) => {
    try {
      return await fetch(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: req.signal,
        redirect: 'manual',
        ...(req.body ? { duplex: 'half' } : {}),
        ...extra,
      } as RequestInit)
    } catch (err) {
      if (req.signal.aborted && req.signal.reason instanceof GatewayError) throw req.signal.reason
      const detail = err instanceof Error ? (err as { code?: string }).code ?? err.name : 'error'
      throw new GatewayError('UNAVAILABLE', `upstream connection failed (${detail})`, { cause: err })
    }
  }
}
