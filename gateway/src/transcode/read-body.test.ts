import { describe, expect, it } from 'vitest'
import { GatewayError } from '../../../internal/shell/errors.ts'
import { parseJsonBody, readBoundedBody } from './read-body.ts'

const stream = (...parts: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const p of parts) controller.enqueue(new TextEncoder().encode(p))
      controller.close()
    },
  })

async function rejection(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(() => undefined, (e: unknown) => e)
  expect(err).toBeInstanceOf(GatewayError)
  return err as GatewayError
}

describe('readBoundedBody', () => {
  it('reads a body made of several chunks, and an absent body as empty', async () => {
    expect(new TextDecoder().decode(await readBoundedBody(stream('ab', 'cd', 'e'), null, 5))).toBe('abcde')
    expect((await readBoundedBody(null, null, 5)).byteLength).toBe(0)
  })

  it('refuses a declared length over the bound without reading', async () => {
    const err = await rejection(readBoundedBody(new Response('x').body, '6', 5))
    expect(err).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 })
  })

  it('stops reading once the bytes pass the bound', async () => {
    let pulled = 0
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(new Uint8Array(4))
      },
    })
    expect(await rejection(readBoundedBody(endless, null, 10))).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' })
    expect(pulled).toBeLessThan(10)
  })
})

describe('parseJsonBody', () => {
  const bytes = (s: string) => new TextEncoder().encode(s)
  it('parses JSON; empty is undefined', () => {
    expect(parseJsonBody(bytes('{"a":[1]}'))).toEqual({ a: [1] })
    expect(parseJsonBody(new Uint8Array(0))).toBeUndefined()
  })
  it('answers 400 for broken JSON and for bytes that are not UTF-8', () => {
    expect(() => parseJsonBody(bytes('{"a":'))).toThrow(/^malformed JSON body: /)
    expect(() => parseJsonBody(new Uint8Array([0x22, 0xc3, 0x22]))).toThrow('not valid UTF-8')
  })
})
