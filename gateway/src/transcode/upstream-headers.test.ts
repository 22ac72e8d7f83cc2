import { describe, expect, it } from 'vitest'
import { rpcHeaders } from './upstream-headers.ts'

describe('rpcHeaders', () => {
  it('keeps correlation, auth and claim headers, drops the HTTP message and protocol headers', () => {
    const upstream = new Headers({
      'x-request-id': 'r1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      authorization: 'Bearer t',
      'x-claim-tenant': 'acme',
      'content-type': 'application/json',
      'content-length': '12',
      accept: 'text/event-stream',
      'accept-encoding': 'gzip',
      'connect-timeout-ms': '1',
      'grpc-timeout': '1S',
      'connect-protocol-version': '1',
    })
    expect([...rpcHeaders(upstream).keys()].sort()).toEqual(['authorization', 'traceparent', 'x-claim-tenant', 'x-request-id'])
  })
})
