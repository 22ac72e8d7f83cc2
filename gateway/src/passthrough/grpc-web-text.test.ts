import { describe, expect, it } from 'vitest'
import { binaryContentType, decodeBase64Chunks, encodeTextStream, readTextBody, textContentType } from './grpc-web-text.ts'

const bytes = (...b: number[]) => new Uint8Array(b) as Uint8Array<ArrayBuffer>
const stream = (...chunks: Uint8Array<ArrayBuffer>[]) => new Response(new Blob(chunks)).body as ReadableStream<Uint8Array>

describe('gRPC-web-text', () => {
  it('decodes one base64 string, and several padded chunks one after another', () => {
    expect(decodeBase64Chunks('AAECAw==')).toEqual(bytes(0, 1, 2, 3))
    expect(decodeBase64Chunks('AA==AQI=AwQF')).toEqual(bytes(0, 1, 2, 3, 4, 5))
    expect(decodeBase64Chunks('AAE')).toEqual(bytes(0, 1)) // unpadded tail
    expect(decodeBase64Chunks('')).toEqual(bytes())
  })

  it.each(['AA=', 'A', 'AAA===', '====', 'AA AA', 'AA-_', 'AAAA\n', 'ÿÿÿÿ'])('refuses %j with INVALID_ARGUMENT', (text) => {
    expect(() => decodeBase64Chunks(text)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  it('reads a request body up to a limit', async () => {
    const text = new TextEncoder().encode('AAECAw==')
    expect(await readTextBody(stream(text.subarray(0, 3), text.subarray(3)), 8)).toEqual(bytes(0, 1, 2, 3))
    await expect(readTextBody(stream(text), 7)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' })
  })

  it('encodes each response chunk as it comes, padded, so the client can decode every message at once', async () => {
    const out = await new Response(encodeTextStream(stream(bytes(0), bytes(1, 2, 3, 4)))).text()
    expect(out).toBe('AA==AQIDBA==')
    expect(decodeBase64Chunks(out)).toEqual(bytes(0, 1, 2, 3, 4))
  })

  it('maps the content types both ways', () => {
    expect(binaryContentType('application/grpc-web-text+proto')).toBe('application/grpc-web+proto')
    expect(textContentType('application/grpc-web+proto')).toBe('application/grpc-web-text+proto')
    expect(textContentType('application/grpc-web-text')).toBe('application/grpc-web-text')
  })
})
