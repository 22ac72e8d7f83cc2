import { describe, expect, it } from 'vitest'
import { headerEntries } from './header-entries.ts'

/** What @hono/node-server does with Node's raw list before the policy iterates `req.headers`. */
function viaHeaders(raw: readonly string[]): [string, string][] {
  const headers = new Headers()
  for (let i = 0; i < raw.length; i += 2) if (!(raw[i] as string).startsWith(':')) headers.append(raw[i] as string, raw[i + 1] as string)
  const out: [string, string][] = []
  headers.forEach((value, name) => void out.push([name, value]))
  return out
}

const REQ = new Request('http://a.example/')

describe('headerEntries from a raw header list', () => {
  it('yields what Headers.forEach yields: sorted lower-case names, joined repeats, Set-Cookie apart, trimmed values', () => {
    const lists: string[][] = [
      ['Host', 'a.example', 'User-Agent', 'curl/8', 'Accept', '*/*'],
      ['Cookie', 'a=1', 'X-Trace', ' v1 ', 'cookie', 'b=2', 'x-trace', 'v2\t', 'Set-Cookie', 's=1', 'set-cookie', 't=2', 'B-Z', ''],
      [':method', 'GET', ':path', '/x', ':authority', 'a.example', 'content-type', 'application/json'],
      ['Accept', 'text/html', 'ACCEPT', 'application/json', 'accept', 'x/y', 'Z', 'last', 'a', 'first'],
      ['X-Empty', '   ', 'X-Inner', 'a  b', 'Authorization', 'Bearer abc.def.ghi'],
    ]
    // Pseudo-random mixes of the same parts, so ordering and combining are exercised together.
    let seed = 7
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) / 0x1000000
    const names = ['Host', 'cookie', 'Cookie', 'set-cookie', 'X-A', 'x-a', 'Accept', 'b', 'Z-Last', 'user-agent']
    const values = ['1', ' spaced ', 'a=b; c=d', '', 'x,y', 'tab\t']
    for (let n = 0; n < 200; n++) {
      const list: string[] = []
      for (let k = Math.floor(random() * 8); k > 0; k--) list.push(names[Math.floor(random() * names.length)] as string, values[Math.floor(random() * values.length)] as string)
      lists.push(list)
    }
    for (const raw of lists) expect(headerEntries(REQ, raw), JSON.stringify(raw)).toEqual(viaHeaders(raw))
  })

  it('without a raw list, iterates the Request headers', () => {
    const req = new Request('http://a.example/', { headers: { 'X-B': '2', 'x-a': '1' } })
    expect(headerEntries(req, undefined)).toEqual([
      ['x-a', '1'],
      ['x-b', '2'],
    ])
  })
})
