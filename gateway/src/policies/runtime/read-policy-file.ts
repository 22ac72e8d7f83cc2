/**
 * Reads a file a policy names (a JWKS file, an API-key file) while the bundle compiles.
 * Synchronous because `PolicyType.create` is; node:fs works on Node, Bun and Deno (--allow-read).
 * A missing or unreadable file refuses the bundle with this message instead of failing requests.
 * The one place policies touch the file system. Callers resolve relative paths with
 * `policyFilePath` (against the policy's own YAML file) first.
 */
import { readFileSync } from 'node:fs'
import { policyFilePath } from '../types.ts'
import type { PolicyInit } from '../types.ts'

export function readPolicyFile(policy: string, what: string, path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as { code?: unknown }).code
    throw new Error(`policy "${policy}": cannot read ${what} "${path}" (${typeof code === 'string' ? code : String(err)})`)
  }
}

/** `PolicyInit.readFile` for one policy instance; `onRead` is told every path read (for watching). */
export function policyFileReader(policy: string, source: string, onRead?: (path: string) => void): PolicyInit['readFile'] {
  return (what, path) => {
    const resolved = policyFilePath({ source }, path)
    onRead?.(resolved)
    return { path: resolved, text: readPolicyFile(policy, what, resolved) }
  }
}
