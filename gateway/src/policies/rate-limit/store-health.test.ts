import { describe, expect, it } from 'vitest'
import { testInit } from '../testing.ts'
import { createStoreHealth } from './store-health.ts'

function setup() {
  const init = testInit('quota')
  let t = 0
  let connected = true
  const health = createStoreHealth({
    policy: 'quota',
    store: 'redis://127.0.0.1:6379/0',
    onStoreFailure: 'local',
    metrics: init.metrics,
    log: init.log,
    connected: () => connected,
    probeIntervalMs: 500,
    now: () => t,
  })
  const series = (name: string) => init.metrics.render().split('\n').find((l) => l.startsWith(`${name}{policy="quota"}`))
  return {
    health,
    init,
    series,
    advance: (ms: number) => (t += ms),
    disconnect: (down: boolean) => (connected = !down),
  }
}

describe('rate-limit store health', () => {
  it('logs one line per transition, however many requests fail, and keeps the metrics', () => {
    const { health, init, series, advance } = setup()
    expect(series('gatehouse_rate_limit_store_up')).toMatch(/ 1$/)
    health.failed(new Error('Command timed out'))
    for (let i = 0; i < 5; i++) health.failed()
    expect(series('gatehouse_rate_limit_store_up')).toMatch(/ 0$/)
    expect(series('gatehouse_rate_limit_store_failures_total')).toMatch(/ 6$/)
    advance(1200)
    health.ok()
    health.ok()
    expect(series('gatehouse_rate_limit_store_up')).toMatch(/ 1$/)
    expect(init.lines.map(({ level, msg }) => [level, msg])).toEqual([
      ['warn', 'rate limit store unavailable'],
      ['info', 'rate limit store recovered'],
    ])
    expect(init.lines[0]).toMatchObject({ policy: 'quota', store: 'redis://127.0.0.1:6379/0', onStoreFailure: 'local', error: 'Command timed out' })
    expect(init.lines[1]).toMatchObject({ policy: 'quota', downMs: 1200 })
  })

  it('while down, lets one probe through per interval, and none while disconnected', () => {
    const { health, advance, disconnect } = setup()
    expect(health.shouldTry()).toBe(true)
    health.failed(new Error('down'))
    expect(health.shouldTry()).toBe(false)
    advance(499)
    expect(health.shouldTry()).toBe(false)
    advance(1)
    disconnect(true)
    expect(health.shouldTry()).toBe(false)
    disconnect(false)
    expect(health.shouldTry()).toBe(true) // the probe
    expect(health.shouldTry()).toBe(false) // the others keep skipping
    advance(500)
    expect(health.shouldTry()).toBe(true)
    health.ok()
    expect(health.shouldTry()).toBe(true)
    expect(health.shouldTry()).toBe(true)
  })
})
