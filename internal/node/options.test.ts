import { describe, expect, it } from 'vitest'
import { UsageError } from '../shell/flags.ts'
import { parseRoleNodeArgs } from './options.ts'

const noEnv = () => undefined

describe('parseRoleNodeArgs', () => {
  it('fills defaults from the role', () => {
    expect(parseRoleNodeArgs(['--role', 'storage'], noEnv)).toEqual({
      role: 'storage',
      hostname: '127.0.0.1',
      port: 0,
      grpcPort: undefined,
      dataDir: '.gatehouse/storage',
      drainDeadlineMs: 30000,
      registryUrl: undefined,
      advertiseUrl: undefined,
      admission: undefined,
    })
  })

  it('takes the admission flags every node has', () => {
    expect(parseRoleNodeArgs(['--role', 'metadata', '--max-concurrency', '4'], noEnv).admission).toEqual({ maxConcurrent: 4, maxQueue: 8, maxWaitMs: 1000 })
    expect(parseRoleNodeArgs(['--role', 'metadata', '--max-concurrency', '4', '--max-queue', '0', '--max-queue-wait', '5'], noEnv).admission).toEqual({
      maxConcurrent: 4,
      maxQueue: 0,
      maxWaitMs: 5,
    })
  })

  it('reads flags, and the environment where a flag is absent', () => {
    const env = (name: string) => ({ PORT: '7101', GATEHOUSE_REGISTRY_URL: 'http://127.0.0.1:7103', GATEHOUSE_ADVERTISE_URL: 'http://s1:7101' })[name]
    expect(parseRoleNodeArgs(['--role=storage', '--grpc-port', '7111', '--data', '/var/lib/s'], env)).toMatchObject({
      port: 7101,
      grpcPort: 7111,
      dataDir: '/var/lib/s',
      registryUrl: 'http://127.0.0.1:7103',
      advertiseUrl: 'http://s1:7101',
    })
    expect(parseRoleNodeArgs(['--role', 'storage', '--registry', 'http://m:1'], env).registryUrl).toBe('http://m:1')
  })

  it.each([
    [[], '--role is required'],
    [['--role', 'storage', '--prot', '1'], 'unknown argument "--prot"'],
    [['--role', 'storage', '--grpc-port', '70000'], '--grpc-port must be an integer from 0 to 65535, got "70000"'],
    [['--role'], '--role needs a value'],
  ])('refuses %j with a UsageError', (argv, message) => {
    expect(() => parseRoleNodeArgs(argv, noEnv)).toThrow(UsageError)
    expect(() => parseRoleNodeArgs(argv, noEnv)).toThrow(message)
  })
})
