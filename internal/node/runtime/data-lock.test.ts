import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DataDirInUseError, LOCK_FILE, lockDataDir } from './data-lock.ts'

describe('lockDataDir', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-lock-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('creates the directory and a lock file with the pid, and removes it on release', async () => {
    const data = join(dir, 'metadata')
    const lock = await lockDataDir(data)
    expect(await readFile(join(data, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`)
    await lock.release()
    await lock.release()
    await expect(readFile(join(data, LOCK_FILE))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('refuses a directory held by a live process, naming it', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' })
    try {
      await writeFile(join(dir, LOCK_FILE), `${child.pid}\n`)
      const err = await lockDataDir(dir).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(DataDirInUseError)
      expect((err as Error).message).toBe(`data directory ${dir} is in use by process ${child.pid}; give each node its own --data`)
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('takes over a lock left by a process that is gone, or an unreadable one', async () => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
    await new Promise((resolve) => child.once('exit', resolve))
    await writeFile(join(dir, LOCK_FILE), `${child.pid}\n`)
    const lock = await lockDataDir(dir)
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`)
    await lock.release()
    await writeFile(join(dir, LOCK_FILE), 'garbage')
    await (await lockDataDir(dir)).release()
  })
})
