import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { removeDir, ROOT, spawnNode } from '../e2e/harness.ts'
import type { NodeProcess } from '../e2e/harness.ts'

/**
 * The internal roles as real processes (`gatehouse node --role R`), for the tests that call them
 * through the gateway with independent RPC clients (connect-passthrough, grpc-web-browser).
 */

const CLI = join(ROOT, 'gateway', 'cli', 'gatehouse.js')

export type RoleName = 'storage' | 'processing' | 'metadata'

export interface RoleNodes {
  readonly urls: Readonly<Partial<Record<RoleName, string>>>
  stop(): Promise<void>
}

/** Starts the roles asked for on free ports, each with its own temporary data directory; processing uses the storage node started here. */
export async function startRoleNodes(roles: readonly RoleName[]): Promise<RoleNodes> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-rpc-'))
  const nodes: NodeProcess[] = []
  const urls: Partial<Record<RoleName, string>> = {}
  const start = async (role: RoleName, env: string[] = []) => {
    const node = await spawnNode(`${role} node`, ['env', ...env, process.execPath, CLI, 'node', '--role', role, '--port', '0', '--data', join(dataDir, role)])
    nodes.push(node)
    urls[role] = node.url
  }
  try {
    // allSettled: on a failure, every node that did start is in `nodes` before they are stopped.
    const started = await Promise.allSettled(roles.filter((r) => r !== 'processing').map((role) => start(role)))
    for (const result of started) if (result.status === 'rejected') throw result.reason
    if (roles.includes('processing')) await start('processing', [`GATEHOUSE_STORAGE_URL=${urls.storage ?? 'http://127.0.0.1:9'}`])
  } catch (err) {
    await Promise.all(nodes.map((n) => n.stop()))
    throw err
  }
  return {
    urls,
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()))
      await removeDir(dataDir)
    },
  }
}

/** An ES256 issuer for jwt policies: `policy` is the YAML of a jwt policy trusting it, `token()` signs a valid token. */
export async function createTestIssuer(name = 'auth') {
  const { publicKey, privateKey } = await generateKeyPair('ES256')
  const jwk = { ...(await exportJWK(publicKey)), kid: 'rpc-1', alg: 'ES256' }
  return {
    policy: `  ${name}:
    type: jwt
    issuer: https://id.rpc.test/
    audience: edge
    jwks: { keys: [${JSON.stringify(jwk)}] }
`,
    token: (sub = 'ann') =>
      new SignJWT({ sub })
        .setProtectedHeader({ alg: 'ES256', kid: 'rpc-1' })
        .setIssuer('https://id.rpc.test/')
        .setAudience('edge')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey),
  }
}

/** A gRPC / Connect envelope: flags, big-endian length, payload. */
export function envelope(payload: Uint8Array, flags = 0): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(5 + payload.length)
  out[0] = flags
  new DataView(out.buffer).setUint32(1, payload.length)
  out.set(payload, 5)
  return out
}

/** Splits an enveloped body into its frames; a truncated frame throws. */
export function frames(body: Uint8Array): { flags: number; payload: Uint8Array }[] {
  const out: { flags: number; payload: Uint8Array }[] = []
  let at = 0
  while (at < body.length) {
    if (at + 5 > body.length) throw new Error('truncated envelope header')
    const length = new DataView(body.buffer, body.byteOffset + at + 1, 4).getUint32(0)
    if (at + 5 + length > body.length) throw new Error('truncated envelope')
    out.push({ flags: body[at] as number, payload: body.subarray(at + 5, at + 5 + length) })
    at += 5 + length
  }
  return out
}

/** gRPC-web trailers (the payload of a frame with the 0x80 flag) as a record. */
export function parseTrailer(payload: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of new TextDecoder().decode(payload).split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) out[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return out
}
