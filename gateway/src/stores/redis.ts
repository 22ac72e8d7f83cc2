import { connectIoredis } from './runtime/ioredis.ts'

/** A shared Redis connection. `client` is the ioredis instance the rate-limit counters call. */
export interface RedisConnection {
  readonly client: object
  /** Connected and past the ready check: commands will be sent (else they fail at once). */
  readonly ready: boolean
  close(): Promise<void>
}

export interface RedisConnectOptions {
  /** Per-command timeout: a slow or hung Redis fails the command instead of holding the request. */
  readonly commandTimeoutMs: number
  readonly connectTimeoutMs: number
}

/** What a Lua script needs of a connection's client (ioredis): the script defined as a command. */
interface ScriptClient {
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void
}

/**
 * A Lua script as a command of `client`, defined once per client under `name` (ioredis sends
 * EVALSHA, and EVAL after a NOSCRIPT). Without `numberOfKeys` a call names it first.
 */
export function scriptCommand<F extends (...args: never[]) => Promise<unknown>>(
  client: object,
  name: string,
  definition: { lua: string; numberOfKeys?: number },
): F {
  const c = client as Partial<ScriptClient> & Record<string, unknown>
  if (typeof c.defineCommand !== 'function') throw new TypeError(`redis script ${name} needs an ioredis client (defineCommand)`)
  if (typeof c[name] !== 'function') c.defineCommand(name, definition)
  return (c[name] as F).bind(client) as F
}

const CONNECT_TIMEOUT_MS = 1_000
const connections = new Map<string, RedisConnection>()

/**
 * The process-wide connection for a Redis URL and command timeout: every policy instance (and
 * every bundle reload) naming the same pair shares one connection, so a reload never opens
 * another one. Connecting starts at once and never throws; until it is ready, commands fail
 * fast and the stores fall back.
 */
export function sharedRedis(url: string, commandTimeoutMs: number): RedisConnection {
  const id = `${commandTimeoutMs} ${url}`
  let connection = connections.get(id)
  if (!connection) {
    connection = connectIoredis(url, { commandTimeoutMs, connectTimeoutMs: CONNECT_TIMEOUT_MS })
    connections.set(id, connection)
  }
  return connection
}

/** Closes every shared connection (after the drain, before exit); a later `sharedRedis` opens a new one. */
export async function closeRedisConnections(): Promise<void> {
  const all = [...connections.values()]
  connections.clear()
  await Promise.all(all.map((c) => c.close()))
}
