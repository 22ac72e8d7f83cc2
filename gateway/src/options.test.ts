import { describe, expect, it } from 'vitest'
import { UsageError } from '../../internal/shell/flags.ts'
import { parseGatewayArgs } from './options.ts'

const noEnv = (_name: string): string | undefined => undefined
const envOf = (vars: Record<string, string>) => (name: string) => vars[name]

describe('parseGatewayArgs', () => {
  it('fills every default', () => {
    expect(parseGatewayArgs([], noEnv)).toEqual({
      policiesDir: 'policies',
      hostname: '127.0.0.1',
      port: 8080,
      accessLog: true,
      drainDeadlineMs: 30_000,
      watchIntervalMs: 500,
      debugToken: undefined,
      admission: undefined,
      tls: undefined,
      grpcPort: undefined,
      controlUrl: undefined,
      label: '',
    })
  })

  it('turns on process admission with --max-concurrency, the queue defaulting to twice it', () => {
    expect(parseGatewayArgs(['--max-concurrency', '8'], noEnv).admission).toEqual({ maxConcurrent: 8, maxQueue: 16, maxWaitMs: 1000 })
    expect(parseGatewayArgs(['--max-concurrency=2', '--max-queue=0', '--max-queue-wait', '50'], noEnv).admission).toEqual({
      maxConcurrent: 2,
      maxQueue: 0,
      maxWaitMs: 50,
    })
  })

  it('makes the process limit adaptive with --adaptive-min, within 1..--max-concurrency', () => {
    expect(parseGatewayArgs(['--max-concurrency', '64', '--adaptive-min', '4'], noEnv).admission).toEqual({
      maxConcurrent: 64,
      maxQueue: 128,
      maxWaitMs: 1000,
      adaptive: { min: 4 },
    })
    expect(() => parseGatewayArgs(['--adaptive-min', '4'], noEnv)).toThrow(new UsageError('--adaptive-min needs --max-concurrency'))
    expect(() => parseGatewayArgs(['--max-concurrency', '8', '--adaptive-min', '9'], noEnv)).toThrow(
      new UsageError('--adaptive-min must be an integer from 1 to 8, got "9"'),
    )
  })

  it('takes PORT, HOST and GATEHOUSE_DEBUG_TOKEN from the environment', () => {
    const args = parseGatewayArgs([], envOf({ PORT: '9090', HOST: '0.0.0.0', GATEHOUSE_DEBUG_TOKEN: 'tok' }))
    expect(args).toMatchObject({ port: 9090, hostname: '0.0.0.0', debugToken: 'tok' })
  })

  it('treats an empty debug token as none', () => {
    expect(parseGatewayArgs([], envOf({ GATEHOUSE_DEBUG_TOKEN: '' })).debugToken).toBeUndefined()
  })

  it('lets flags win over the environment', () => {
    const args = parseGatewayArgs(['--port', '7000', '--host', '::1'], envOf({ PORT: '9090', HOST: '0.0.0.0' }))
    expect(args).toMatchObject({ port: 7000, hostname: '::1' })
  })

  it('reads every flag, in both --flag value and --flag=value forms', () => {
    const args = parseGatewayArgs(
      ['--policies=conf/p', '--port', '0', '--access-log=off', '--drain-deadline', '500', '--watch-interval=0'],
      noEnv,
    )
    expect(args).toMatchObject({ policiesDir: 'conf/p', port: 0, accessLog: false, drainDeadlineMs: 500, watchIntervalMs: 0 })
  })

  it('keeps everything after the first "=" as the value', () => {
    expect(parseGatewayArgs(['--policies=a=b'], noEnv).policiesDir).toBe('a=b')
  })
})

describe('parseGatewayArgs usage errors', () => {
  const usage = (argv: string[], env = noEnv) => {
    try {
      parseGatewayArgs(argv, env)
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError)
      return (err as UsageError).message
    }
    throw new Error('expected a UsageError')
  }

  it('names an unknown flag and lists the known ones', () => {
    expect(usage(['--prot', '1'])).toBe(
      'unknown argument "--prot" (flags: --policies, --port, --host, --access-log, --drain-deadline, --watch-interval, ' +
        '--max-concurrency, --max-queue, --max-queue-wait, --adaptive-min, --tls-cert, --tls-key, --client-ca, --client-cert, ' +
        '--upstream-cert, --upstream-key, --upstream-ca, --grpc-port, --control, --label)',
    )
  })

  it('refuses a positional argument', () => {
    expect(usage(['policies'])).toMatch(/^unknown argument "policies"/)
  })

  it('says which flag needs a value', () => {
    expect(usage(['--port'])).toBe('--port needs a value')
  })

  it.each(['http', '-1', '65536', '80.5', '', ' 80'])('refuses port %j', (port) => {
    expect(usage(['--port', port])).toBe(`--port must be an integer from 0 to 65535, got "${port}"`)
  })

  it('checks a PORT from the environment the same way', () => {
    expect(usage([], envOf({ PORT: 'eighty' }))).toMatch(/^--port must be an integer from 0 to 65535/)
  })

  it('refuses a drain deadline over an hour', () => {
    expect(usage(['--drain-deadline=3600001'])).toBe('--drain-deadline must be an integer from 0 to 3600000, got "3600001"')
  })

  it.each(['yes', 'true', 'ON', ''])('refuses --access-log %j', (value) => {
    expect(usage([`--access-log=${value}`])).toBe(`--access-log must be "on" or "off", got "${value}"`)
  })
})
