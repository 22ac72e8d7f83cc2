import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { RuntimeName } from './types.ts'

export const RUNTIMES: readonly RuntimeName[] = ['node', 'bun', 'deno']

const require = createRequire(import.meta.url)

/** Deno's permissions for a node: network, reading policy files and environment. */
const DENO_PERMISSIONS = ['--allow-net', '--allow-read', '--allow-env', '--allow-sys']

function packageBinary(pkg: string, relative: string): string {
  const path = join(dirname(require.resolve(`${pkg}/package.json`)), relative)
  if (!existsSync(path)) throw new Error(`${pkg} is not installed (missing ${path}); run npm ci`)
  return path
}

/**
 * The command line that runs a TypeScript entry on a runtime, with the runtimes installed as
 * devDependencies (Node through tsx, `bun`, `deno`). Used by the CLI, the tests and the bench.
 */
export function runtimeCommand(runtime: RuntimeName, entry: string, args: readonly string[] = []): string[] {
  switch (runtime) {
    case 'node':
      // Resolved here, not by name: `--import tsx` would resolve against the child's cwd.
      return [process.execPath, '--import', import.meta.resolve('tsx'), entry, ...args]
    case 'bun':
      return [packageBinary('bun', 'bin/bun.exe'), entry, ...args]
    case 'deno':
      return [packageBinary('deno', 'deno'), 'run', ...DENO_PERMISSIONS, entry, ...args]
  }
}

export function isRuntimeName(name: string): name is RuntimeName {
  return (RUNTIMES as readonly string[]).includes(name)
}
