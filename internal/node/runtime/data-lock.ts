import { mkdir, open, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'

/** The lock file inside a node's data directory. */
export const LOCK_FILE = 'LOCK'

/** Another live process holds the data directory: two writers would corrupt its stores. */
export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError'
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`data directory ${dir} is in use by process ${pid}; give each node its own --data`)
  }
}

export interface DataDirLock {
  /** Removes the lock file (idempotent). */
  release(): Promise<void>
}

/**
 * Takes `<dir>/LOCK` (created exclusively, holding our pid) so that a second node on the same
 * data directory fails at start instead of interleaving writes with the first. A lock left by a
 * process that no longer runs (kill -9, power loss) is taken over: the pid in it is checked.
 */
export async function lockDataDir(dir: string, pid = process.pid): Promise<DataDirLock> {
  await mkdir(dir, { recursive: true })
  const path = join(dir, LOCK_FILE)
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const file = await open(path, 'wx')
      await file.writeFile(`${pid}\n`)
      await file.close()
      let released = false
      return {
        async release() {
          if (released) return
          released = true
          await rm(path, { force: true })
        },
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10)
    if (Number.isInteger(holder) && holder > 0 && holder !== pid && isAlive(holder)) throw new DataDirInUseError(dir, holder)
    await rm(path, { force: true }) // stale (its process is gone) or unreadable: take it over
  }
  throw new Error(`could not take the lock ${path}`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' // exists, owned by someone else
  }
}
