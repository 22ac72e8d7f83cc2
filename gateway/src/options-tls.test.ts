import { describe, expect, it } from 'vitest'
import { UsageError } from '../../internal/shell/flags.ts'
import { parseGatewayArgs } from './options.ts'

const noEnv = (_name: string): string | undefined => undefined

describe('gateway TLS and gRPC flags', () => {
  it('are off by default', () => {
    expect(parseGatewayArgs([], noEnv)).toMatchObject({ tls: undefined, grpcPort: undefined })
  })

  it('read certificate, key, client CA and client-cert mode (default optional), and the gRPC port', () => {
    const args = parseGatewayArgs(['--tls-cert', 'c.pem', '--tls-key=k.pem', '--client-ca', 'ca.pem', '--grpc-port', '0'], noEnv)
    expect(args.tls).toEqual({ certPath: 'c.pem', keyPath: 'k.pem', clientCaPath: 'ca.pem', clientCert: 'optional' })
    expect(args.grpcPort).toBe(0)
    const required = parseGatewayArgs(['--tls-cert', 'c', '--tls-key', 'k', '--client-ca', 'ca', '--client-cert', 'required'], noEnv)
    expect(required.tls?.clientCert).toBe('required')
  })

  it('read the upstream certificate, key and CA (each optional, cert and key together)', () => {
    expect(parseGatewayArgs([], noEnv).upstreamTls).toBeUndefined()
    expect(parseGatewayArgs(['--upstream-cert', 'n.pem', '--upstream-key=nk.pem', '--upstream-ca', 'ca.pem'], noEnv).upstreamTls).toEqual({
      certPath: 'n.pem',
      keyPath: 'nk.pem',
      caPath: 'ca.pem',
    })
    expect(parseGatewayArgs(['--upstream-ca', 'ca.pem'], noEnv).upstreamTls).toEqual({ certPath: undefined, keyPath: undefined, caPath: 'ca.pem' })
  })

  it.each([
    [['--tls-cert', 'c.pem'], '--tls-cert and --tls-key go together'],
    [['--tls-key', 'k.pem'], '--tls-cert and --tls-key go together'],
    [['--client-ca', 'ca.pem'], '--client-ca needs --tls-cert and --tls-key'],
    [['--tls-cert', 'c', '--tls-key', 'k', '--client-cert', 'required'], '--client-cert needs --client-ca'],
    [['--tls-cert', 'c', '--tls-key', 'k', '--client-ca', 'ca', '--client-cert', 'yes'], '--client-cert must be "optional" or "required", got "yes"'],
    [['--grpc-port', 'x'], '--grpc-port must be an integer from 0 to 65535, got "x"'],
    [['--upstream-cert', 'c.pem'], '--upstream-cert and --upstream-key go together'],
    [['--upstream-key', 'k.pem', '--upstream-ca', 'ca.pem'], '--upstream-cert and --upstream-key go together'],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseGatewayArgs(argv, noEnv)).toThrow(new UsageError(message))
  })
})
