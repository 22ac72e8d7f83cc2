import { describe, expect, it } from 'vitest'
import { MemoryCounter } from './memory-counter.ts'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('memory counter', () => {
  it('counts a fixed window per key synchronously, refused requests included', () => {
    const counter = new MemoryCounter(2, 60_000)
    expect(counter.consume('a', 1)).toMatchObject({ ok: true, remaining: 1 })
    expect(counter.consume('a', 1)).toMatchObject({ ok: true, remaining: 0 })
    const over = counter.consume('a', 1)
    expect(over).toMatchObject({ ok: false, remaining: 0 })
    expect(over.msLeft).toBeGreaterThan(59_000)
    expect(counter.consume('b', 2)).toMatchObject({ ok: true, remaining: 0 })
  })

  it('forgets expired keys without a timer per key: memory follows the live keys', async () => {
    const counter = new MemoryCounter(5, 40)
    for (let i = 0; i < 1000; i++) counter.consume(`client-${i}`, 1)
    expect(counter.size).toBe(1000)
    await sleep(100) // the window and one sweep interval (the window) have passed
    expect(counter.consume('client-1', 1)).toMatchObject({ ok: true, remaining: 4 }) // a fresh window
    expect(counter.size).toBe(1)
  })
})
