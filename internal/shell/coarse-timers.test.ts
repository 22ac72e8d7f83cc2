import { describe, expect, it, vi } from 'vitest'
import { CoarseTimers } from './coarse-timers.ts'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('CoarseTimers', () => {
  it('fires a timeout no earlier than asked and within a tick or so after', async () => {
    const timers = new CoarseTimers(10)
    const started = performance.now()
    const fired = await new Promise<number>((resolve) => timers.schedule(50, () => resolve(performance.now() - started)))
    expect(fired).toBeGreaterThanOrEqual(49)
    expect(fired).toBeLessThan(50 + 10 + 100) // a tick, plus generous slack for a busy test machine
    expect(timers.pending).toBe(0)
  })

  it('never fires a cancelled timeout, and fires the others in order of their due time', async () => {
    const timers = new CoarseTimers(5, 4) // a small wheel: timeouts wrap around it several times
    const order: number[] = []
    const cancelled = timers.schedule(20, () => order.push(-1))
    for (const ms of [60, 0, 35, 15]) timers.schedule(ms, () => order.push(ms))
    timers.cancel(cancelled)
    timers.cancel(cancelled) // twice is harmless
    expect(timers.pending).toBe(4)
    for (let i = 0; i < 100 && timers.pending > 0; i++) await sleep(10)
    expect(order).toEqual([0, 15, 35, 60])
  })

  it('lets a firing timeout schedule the next one (a two-stage timeout)', async () => {
    const timers = new CoarseTimers(10)
    const stages: string[] = []
    await new Promise<void>((resolve) => {
      timers.schedule(20, () => {
        stages.push('first')
        timers.schedule(20, () => {
          stages.push('second')
          resolve()
        })
      })
    })
    expect(stages).toEqual(['first', 'second'])
    expect(timers.pending).toBe(0)
  })

  it('runs its interval only while something is pending', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    try {
      const timers = new CoarseTimers(10)
      expect(vi.getTimerCount()).toBe(0)
      const a = timers.schedule(1000, () => expect.unreachable())
      const b = timers.schedule(2000, () => expect.unreachable())
      expect(vi.getTimerCount()).toBe(1) // one interval for both
      timers.cancel(a)
      expect(vi.getTimerCount()).toBe(1)
      timers.cancel(b)
      expect(vi.getTimerCount()).toBe(0)
      timers.schedule(10, () => {})
      expect(vi.getTimerCount()).toBe(1)
    } finally {
      vi.useRealTimers()
    }
  })

  it('rejects bad options', () => {
    expect(() => new CoarseTimers(0)).toThrow(/tickMs/)
    expect(() => new CoarseTimers(10, 0)).toThrow(/slots/)
  })
})
