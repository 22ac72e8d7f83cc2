/**
 * Reads a policy directory: its `*.yaml` / `*.yml` files (not recursive, sorted by name), each named
 * relative to the working directory when inside it. node:fs/promises works on Node, Bun and Deno.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import process from 'node:process'
import { BundleError } from '../src/bundle/load.ts'
import type { SourceFile } from '../src/bundle/types.ts'

const POLICY_FILE = /\.ya?ml$/

export async function readBundleDir(dir: string): Promise<SourceFile[]> {
  const fail = (message: string, path = dir) =>
    new BundleError([{ location: { file: displayPath(path), line: 1, column: 1 }, path: '', message }])
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (code === 'ENOENT') throw fail('policy directory not found')
    if (code === 'ENOTDIR') throw fail('not a directory (expected a directory of *.yaml policy files)')
    throw err
  }
  const files: SourceFile[] = []
  for (const name of names.filter((n) => POLICY_FILE.test(n)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const full = resolve(dir, name)
    try {
      // stat, not the dirent: Kubernetes ConfigMap volumes mount each file as a symlink.
      if (!(await stat(full)).isFile()) continue
      files.push({ path: displayPath(full), text: await readFile(full, 'utf8') })
    } catch (err) {
      throw fail(`cannot read policy file (${String((err as { code?: unknown }).code ?? err)})`, full)
    }
  }
  if (files.length === 0) throw fail('no policy files (*.yaml, *.yml) in this directory')
  return files
}

/** Relative to the working directory when inside it, else absolute. */
function displayPath(path: string): string {
  const absolute = resolve(path)
  const rel = relative(process.cwd(), absolute)
  const outside = rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)
  return rel === '' ? '.' : outside ? absolute : rel
}
