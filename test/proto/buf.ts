// Helpers of the proto tests: run the buf CLI from node_modules, and copy the buf workspace
// (buf.yaml + proto/*.proto) into temporary directories.
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const BIN = join(ROOT, 'node_modules', '.bin')

export interface RunResult {
  status: number | null
  stdout: string
  stderr: string
}

/** Runs `buf ...args` in `cwd` with node_modules/.bin first on PATH (buf generate needs protoc-gen-es there). */
export function buf(args: string[], cwd = ROOT): RunResult {
  const r = spawnSync(join(BIN, 'buf'), args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${BIN}${delimiter}${process.env.PATH ?? ''}` },
    timeout: 30_000,
  })
  if (r.error) throw r.error
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** Runs git in the repository; throws with git's message when it fails. */
export function git(args: string[]): string {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' })
  if (r.error) throw r.error
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr.trim()}`)
  return r.stdout
}

/** Every file under `dir` (relative paths, "/"-separated, sorted), optionally only those ending with `suffix`. */
export async function listFiles(dir: string, suffix = ''): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true })
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(suffix))
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort()
}

/** Our .proto files in the work tree, relative to proto/ (generated code excluded). */
export async function workTreeProtos(): Promise<Map<string, string>> {
  const files = (await listFiles(join(ROOT, 'proto'), '.proto')).filter((f) => !f.startsWith('gen/'))
  return new Map(await Promise.all(files.map(async (f) => [f, await readFile(join(ROOT, 'proto', f), 'utf8')] as const)))
}

/**
 * A temporary buf workspace: the work tree's buf.yaml, the given .proto files under proto/ and a
 * link to node_modules (the google-proto-files module). Returns its directory.
 */
export async function tempWorkspace(protos: Map<string, string>, label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `gatehouse-${label}-`))
  await writeFile(join(dir, 'buf.yaml'), await readFile(join(ROOT, 'buf.yaml')))
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  for (const [path, text] of protos) {
    const target = join(dir, 'proto', path)
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, text)
  }
  return dir
}
