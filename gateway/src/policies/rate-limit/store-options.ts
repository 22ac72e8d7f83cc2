import { z } from 'zod'
import { durationSchema } from '../../bundle/duration.ts'

/** Local batching on a redis store: reserve several units per round trip and spend them in this process. */
export const Batch = z
  .object({
    tokens: z
      .number()
      .int()
      .min(2)
      .max(1_000_000)
      .describe('Most units one gateway reserves from Redis per round trip and spends locally (e.g. 100)'),
    share: z
      .number()
      .gt(0)
      .max(1)
      .default(0.1)
      .describe(
        'Most of a window one reservation may take, as a fraction of its requests (default 0.1): a window reserves ' +
          'min(tokens, floor(share x requests)) at a time, and one where that is under 2 is counted per request, exactly',
      ),
  })
  .strict()
export type Batch = z.output<typeof Batch>

/** Where a rate-limit policy keeps its counters: `memory`, or `{ redis: { url, prefix, commandTimeout } }`. */
export const RedisStore = z
  .object({
    url: z
      .url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL (e.g. redis://127.0.0.1:6379/0)' })
      .refine((u) => { const url = new URL(u); return !url.username && !url.password }, 'the URL must not contain credentials (policy files live in git)')
      .refine((u) => /^\/?(\d{1,2})?$/.test(new URL(u).pathname), 'the path may only be a database number (e.g. /0)')
      .describe('Redis server, e.g. redis://127.0.0.1:6379/0 (rediss:// for TLS). Every gateway naming it shares its counters'),
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9:_.{}-]*$/, 'letters, digits and : _ . { } - only')
      .max(64)
      .default('gatehouse:rl:')
      .describe('Prefix of every Redis key; the policy name follows it, so replicas share a policy by name'),
    commandTimeout: durationSchema(10_000)
      .prefault('250ms')
      .describe('How long one Redis command may take before the store counts as failed (default 250ms, at most 10s)'),
    batch: Batch.optional().describe(
      'Reserve units from Redis in batches and spend them in this process: most requests cost no round trip. ' +
        'Never admits more than the limit across gateways; reserved units unspent at the end of a window are lost ' +
        '(up to gateways x (batch - 1) refused early per window, see README). Default: every request counted in Redis, exact (the requests of one event-loop turn share a round trip)',
    ),
  })
  .strict()
export type RedisStore = z.output<typeof RedisStore>

export const Store = z.union([
  z.literal('memory').describe('Counters in this process only: each replica counts alone, and a restart resets them'),
  z.object({ redis: RedisStore }).strict().describe('Counters in Redis, shared by every gateway process naming the same server and policy'),
])
