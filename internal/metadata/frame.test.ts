import { describe, expect, it } from 'vitest'
import { crc32, encodeFrame, scanFrames } from './frame.ts'

const join = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]))
const payload = (text: string) => new TextEncoder().encode(text)

describe('frames', () => {
  it('computes the IEEE CRC-32', () => {
    expect(crc32(payload('123456789')).toString(16)).toBe('cbf43926')
  })

  it('reads back whole frames as clean', () => {
    const scan = scanFrames(join(encodeFrame(payload('one')), encodeFrame(payload('two'))))
    expect([scan.tail, scan.payloads.map((p) => new TextDecoder().decode(p))]).toEqual(['clean', ['one', 'two']])
  })

  it('tells a torn tail from corruption before the end', () => {
    const a = encodeFrame(payload('one'))
    const b = encodeFrame(payload('two'))
    const flipped = b.map((x, i) => (i === 9 ? x ^ 1 : x))
    expect(scanFrames(join(a, b.subarray(0, 6)))).toMatchObject({ tail: 'torn', validLength: a.length })
    expect(scanFrames(join(a, flipped))).toMatchObject({ tail: 'torn', validLength: a.length })
    expect(scanFrames(join(a, flipped, new Uint8Array(30)))).toMatchObject({ tail: 'torn', validLength: a.length })
    expect(scanFrames(join(a, flipped, a))).toMatchObject({ tail: 'corrupt', validLength: a.length })
    expect(scanFrames(join(a, new Uint8Array(8), a))).toMatchObject({ tail: 'corrupt', validLength: a.length })
  })
})
