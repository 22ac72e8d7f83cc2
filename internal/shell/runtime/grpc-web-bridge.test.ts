import { describe, expect, it } from 'vitest'
import { concatBytes } from '../bytes.ts'
import { renderProblem, GatewayError } from '../errors.ts'
import {
  canonicalGrpcMessage,
  encodeGrpcMessage,
  fromGrpcWebContentType,
  isGrpcContentType,
  statusOfNonGrpcResponse,
  toGrpcWebContentType,
} from './grpc-web-bridge.ts'
import { createGrpcWebDeframer, GrpcWebFrameError, parseTrailerBlock } from './grpc-web-frames.ts'
import { parseGrpcTimeout } from '../timeout-headers.ts'

const frame = (flag: number, payload: Uint8Array) => {
  const out = new Uint8Array(5 + payload.length)
  out[0] = flag
  new DataView(out.buffer).setUint32(1, payload.length)
  out.set(payload, 5)
  return out
}
const text = (s: string) => new TextEncoder().encode(s)

describe('gRPC-web deframer', () => {
  const body = concatBytes([frame(0, text('first')), frame(0, new Uint8Array()), frame(1, text('zipped')), frame(0x80, text('grpc-status: 0\r\ngrpc-message: ok%20then\r\nX-Extra: a\r\n'))])

  it.each([1, 2, 3, 5, 7, 64, body.length])('passes data frames through and parses the trailers, in chunks of %i bytes', (size) => {
    const deframer = createGrpcWebDeframer()
    const out: Uint8Array[] = []
    for (let at = 0; at < body.length; at += size) out.push(...deframer.push(body.subarray(at, at + size)))
    expect(concatBytes(out)).toEqual(concatBytes([frame(0, text('first')), frame(0, new Uint8Array()), frame(1, text('zipped'))]))
    expect(deframer.trailers).toEqual({ 'grpc-status': '0', 'grpc-message': 'ok%20then', 'x-extra': 'a' })
    expect(deframer.atBoundary).toBe(true)
  })

  it('knows when a body stops inside a frame', () => {
    const deframer = createGrpcWebDeframer()
    deframer.push(frame(0, text('abc')).subarray(0, 3))
    expect(deframer.atBoundary).toBe(false)
    expect(deframer.trailers).toBeUndefined()
  })

  it('refuses data after the trailers and an oversized trailer frame', () => {
    const after = createGrpcWebDeframer()
    expect(() => after.push(concatBytes([frame(0x80, text('grpc-status: 0\r\n')), frame(0, text('x'))]))).toThrow(GrpcWebFrameError)
    const huge = new Uint8Array(5)
    huge[0] = 0x80
    new DataView(huge.buffer).setUint32(1, 1 << 20)
    expect(() => createGrpcWebDeframer().push(huge)).toThrow('trailer frame of 1048576 bytes')
  })

  it('skips malformed trailer lines and joins repeated names', () => {
    expect(parseTrailerBlock(text('grpc-status:5\r\nno colon\r\n: empty\r\nbad name: x\r\na: 1\r\nA: 2\n'))).toEqual({ 'grpc-status': '5', a: '1, 2' })
  })
})

describe('gRPC <-> gRPC-web details', () => {
  it.each([
    ['application/grpc', true, 'application/grpc-web+proto'],
    ['application/grpc+proto', true, 'application/grpc-web+proto'],
    ['application/grpc+json; charset=utf-8', true, 'application/grpc-web+json'],
    ['application/grpc-web+proto', false, undefined],
    ['application/json', false, undefined],
  ])('%s', (type, grpc, web) => {
    expect(isGrpcContentType(type)).toBe(grpc)
    if (web) expect(toGrpcWebContentType(type)).toBe(web)
  })

  it('maps binary gRPC-web answers back, not -text or others', () => {
    expect(fromGrpcWebContentType('application/grpc-web+proto')).toBe('application/grpc+proto')
    expect(fromGrpcWebContentType('application/grpc-web')).toBe('application/grpc+proto')
    expect(fromGrpcWebContentType('application/grpc-web-text+proto')).toBeUndefined()
    expect(fromGrpcWebContentType('application/problem+json')).toBeUndefined()
    expect(fromGrpcWebContentType(null)).toBeUndefined()
  })

  it.each([
    ['1H', 3_600_000], ['2M', 120_000], ['5S', 5000], ['250m', 250], ['1500u', 1.5], ['2000000n', 2],
    ['', undefined], ['5', undefined], ['123456789S', undefined], ['-1S', undefined], [undefined, undefined],
  ])('grpc-timeout %j -> %j ms', (value, ms) => {
    expect(parseGrpcTimeout(value)).toBe(ms)
  })

  it('percent-encodes grpc-message as the spec says, and normalises other encoders', () => {
    expect(encodeGrpcMessage('record "a/b" not found: 100% ü\n')).toBe('record "a/b" not found: 100%25 %C3%BC%0A')
    expect(canonicalGrpcMessage('record%20%22a%2Fb%22')).toBe('record "a/b"')
    expect(canonicalGrpcMessage('bad %E0%A4%A')).toBe('bad %25E0%25A4%25A') // undecodable: kept as text
  })
})

describe('status of a response that is not a gRPC-web stream', () => {
  it('takes grpc-status from a trailers-only answer', async () => {
    const res = new Response(null, { headers: { 'grpc-status': '7', 'grpc-message': 'no%20way' } })
    expect(await statusOfNonGrpcResponse(res)).toEqual({ code: 7, message: 'no way' })
  })

  it('maps our problem documents by taxonomy code', async () => {
    const res = renderProblem(new GatewayError('RATE_LIMITED', 'slow down'), 'r1')
    expect(await statusOfNonGrpcResponse(res)).toEqual({ code: 8, message: 'slow down' })
  })

  it.each([
    [401, 16], [403, 7], [404, 12], [429, 14], [502, 14], [503, 14], [504, 14], [400, 13], [418, 2], [200, 2],
  ])('maps a foreign HTTP %i to gRPC %i', async (status, code) => {
    const res = new Response('<html>', { status, headers: { 'content-type': 'text/html' } })
    expect((await statusOfNonGrpcResponse(res)).code).toBe(code)
  })

  it('falls back to the HTTP mapping for a problem document that is not ours', async () => {
    const res = new Response('{"code":"NOPE"}', { status: 403, headers: { 'content-type': 'application/problem+json' } })
    expect(await statusOfNonGrpcResponse(res)).toEqual({ code: 7, message: 'upstream answered HTTP 403' })
    const broken = new Response('{', { status: 401, headers: { 'content-type': 'application/problem+json' } })
    expect((await statusOfNonGrpcResponse(broken)).code).toBe(16)
  })
})
