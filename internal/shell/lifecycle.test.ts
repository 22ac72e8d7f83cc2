import { describe, expect, it } from 'vitest'
import { createLifecycle } from './lifecycle.ts'

describe('lifecycle states', () => {
  it('starts not ready, with the state as the reason', () => {
    const life = createLifecycle()
    expect(life.state).toBe('starting')
    expect(life.readiness()).toEqual({ ready: false, state: 'starting', reasons: ['node is starting'] })
  })

  it('is ready after markReady', () => {
    const life = createLifecycle()
    life.markReady()
    expect(life.state).toBe('ready')
    expect(life.readiness()).toEqual({ ready: true, state: 'ready', reasons: [] })
  })

  it('goes not ready at once when draining, and never ready again', () => {
    const life = createLifecycle()
    life.markReady()
    life.startDrain()
    expect(life.readiness()).toEqual({ ready: false, state: 'draining', reasons: ['node is draining'] })
    life.markReady()
    life.startDrain()
    expect(life.state).toBe('draining')
    expect(life.readiness().ready).toBe(false)
  })

  it('can drain before it was ever ready', () => {
    const life = createLifecycle()
    life.startDrain()
    life.markReady()
    expect(life.state).toBe('draining')
  })
})

describe('readiness checks', () => {
  it('adds a named reason per failing check, in the order added', () => {
    const life = createLifecycle()
    life.markReady()
    life.addCheck('bundle', () => 'no valid policy bundle loaded')
    life.addCheck('cache', () => undefined)
    life.addCheck('redis', () => 'connection refused')
    expect(life.readiness()).toEqual({
      ready: false,
      state: 'ready',
      reasons: ['bundle: no valid policy bundle loaded', 'redis: connection refused'],
    })
  })

  it('asks the checks on every call, so readiness follows them', () => {
    const life = createLifecycle()
    life.markReady()
    let loaded = false
    life.addCheck('bundle', () => (loaded ? undefined : 'not loaded'))
    expect(life.readiness().ready).toBe(false)
    loaded = true
    expect(life.readiness().ready).toBe(true)
  })

  it('replaces a check added again under the same name', () => {
    const life = createLifecycle()
    life.markReady()
    life.addCheck('bundle', () => 'old')
    life.addCheck('bundle', () => undefined)
    expect(life.readiness().reasons).toEqual([])
  })

  it('reports both the state and failing checks while starting', () => {
    const life = createLifecycle()
    life.addCheck('bundle', () => 'not loaded')
    expect(life.readiness().reasons).toEqual(['node is starting', 'bundle: not loaded'])
  })
})

describe('in-flight counting', () => {
  it('counts each enter until its leave', () => {
    const life = createLifecycle()
    const leaveA = life.enter()
    const leaveB = life.enter()
    expect(life.inFlight).toBe(2)
    leaveA()
    expect(life.inFlight).toBe(1)
    leaveB()
    expect(life.inFlight).toBe(0)
  })

  it('ignores a second leave of the same request', () => {
    const life = createLifecycle()
    const leaveA = life.enter()
    life.enter()
    leaveA()
    leaveA()
    expect(life.inFlight).toBe(1)
  })
})
