import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import process from 'node:process'
import { afterAll, describe, expect, it } from 'vitest'
import { BundleError } from '../src/bundle/load.ts'
import { readBundleDir } from './bundle-files.ts'

const made: string[] = []
afterAll(() => Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true }))))

async function tempDir(parent: string): Promise<string> {
  await mkdir(parent, { recursive: true })
  const dir = await mkdtemp(join(parent, 'bundle-files-'))
  made.push(dir)
  return dir
}

describe('readBundleDir', () => {
  it('reads *.yaml and *.yml files sorted by name, following symlinks, skipping the rest', async () => {
    const dir = await tempDir(tmpdir())
    await writeFile(join(dir, 'b.yml'), 'routes: []\n')
    await writeFile(join(dir, 'a.yaml'), 'services: {}\n')
    await writeFile(join(dir, 'notes.md'), '# not policy\n')
    await mkdir(join(dir, 'sub.yaml'))
    await mkdir(join(dir, '..data'))
    await writeFile(join(dir, '..data', 'c.yaml'), 'policies: {}\n')
    await symlink(join(dir, '..data', 'c.yaml'), join(dir, 'c.yaml'))
    const files = await readBundleDir(dir)
    // Outside the working directory, paths are absolute.
    expect(files).toEqual([
      { path: join(dir, 'a.yaml'), text: 'services: {}\n' },
      { path: join(dir, 'b.yml'), text: 'routes: []\n' },
      { path: join(dir, 'c.yaml'), text: 'policies: {}\n' },
    ])
  })

  it('names files relative to the working directory when inside it', async () => {
    const dir = await tempDir(join(process.cwd(), '.tmp'))
    await writeFile(join(dir, 'a.yaml'), '')
    expect((await readBundleDir(dir)).map((f) => f.path)).toEqual([join(relative(process.cwd(), dir), 'a.yaml')])
  })

  it('refuses a missing directory or one without policy files, as a one-problem BundleError', async () => {
    const dir = await tempDir(tmpdir())
    await writeFile(join(dir, 'readme.txt'), '')
    await expect(readBundleDir(join(dir, 'nope'))).rejects.toThrow(`${join(dir, 'nope')}:1:1: policy directory not found`)
    await symlink(join(dir, 'gone.yaml'), join(dir, 'dangling.yaml'))
    await expect(readBundleDir(dir)).rejects.toThrow(`${join(dir, 'dangling.yaml')}:1:1: cannot read policy file (ENOENT)`)
    await rm(join(dir, 'dangling.yaml'))
    const err = await readBundleDir(dir).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BundleError)
    expect((err as BundleError).problems).toEqual([
      { location: { file: dir, line: 1, column: 1 }, path: '', message: 'no policy files (*.yaml, *.yml) in this directory' },
    ])
  })
})
