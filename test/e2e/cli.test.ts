import { spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { removeDir, ROOT, waitFor, writeBundle } from './harness.ts'

const CLI = ['gateway/cli/gatehouse.js']
const dirs: string[] = []
afterAll(() => Promise.all(dirs.map(removeDir)))

function gatehouse(...args: string[]) {
  const run = spawnSync(process.execPath, [...CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })
  return { code: run.status, stdout: run.stdout, stderr: run.stderr }
}

async function bundle(files: Record<string, string>): Promise<string> {
  const dir = await writeBundle(files)
  dirs.push(dir)
  return dir
}

const SERVICE = 'services:\n  web:\n    endpoints:\n      - url: http://127.0.0.1:9\n'
const ROUTE = (extra = '') => `routes:\n  - id: home\n    match: { path: / }\n    http: web\n${extra}`

describe('gatehouse check', () => {
  it('accepts the shipped bundle', () => {
    const { code, stdout } = gatehouse('check')
    expect(code).toBe(0)
    expect(stdout).toMatch(/^policies: ok, \d+ routes, \d+ policies, \d+ services, hash [0-9a-f]{12}$/m)
  })

  it.each([
    ['YAML syntax', { 'a.yaml': `${SERVICE}routes:\n  - id: home\n    match: { path: / \n` }, /a\.yaml:\d+:\d+: /],
    ['an unknown key', { 'a.yaml': SERVICE + ROUTE('    timout: 5s\n') }, /a\.yaml:9:5: unknown key "timout" \(did you mean "timeout"\?\)/],
    ['a wrong type', { 'a.yaml': SERVICE.replace('http://127.0.0.1:9', '42') + ROUTE() }, /a\.yaml:4:14: /],
    ['a dangling policy', { 'a.yaml': SERVICE + ROUTE('    policies: [auth]\n') }, /a\.yaml:9:16: unknown policy "auth"/],
    ['a duplicate route id', { 'a.yaml': SERVICE + ROUTE(), 'b.yaml': ROUTE() }, /b\.yaml:2:9: duplicate route id "home" \(first defined at .*a\.yaml:6\)/],
  ])('refuses %s with file:line:column and exit 1', async (_kind, files, line) => {
    const { code, stderr } = gatehouse('check', await bundle(files))
    expect(code).toBe(1)
    expect(stderr).toMatch(line)
    expect(stderr).toMatch(/problems?, bundle refused$/m)
  })
})

describe('gatehouse CLI', () => {
  it('prints the route table', () => {
    const { code, stdout } = gatehouse('routes')
    expect(code).toBe(0)
    expect(stdout).toMatch(/^get-item\s+GET\s+\*\s+\/v1\/items\/\{id\}/m)
  })

  it('refuses an unknown runtime or command with exit 2', () => {
    expect(gatehouse('gateway', '--runtime', 'jvm')).toMatchObject({ code: 2, stderr: expect.stringContaining('--runtime must be one of node, bun, deno') })
    expect(gatehouse('frobnicate').code).toBe(2)
    expect(gatehouse('gateway', '--port', 'eighty').code).toBe(2)
  })

  it.each(['bun', 'deno'])('`gateway --runtime %s` runs the gateway on that runtime and passes SIGTERM on', async (runtime) => {
    const child = spawn(process.execPath, [...CLI, 'gateway', '--runtime', runtime, '--port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    try {
      const url = await waitFor('the listening line', () => /"msg":"listening","url":"(http:[^"]+)","runtime":"(\w+)"/.exec(out), 20_000)
      expect(url[2]).toBe(runtime)
      expect((await fetch(`${url[1]}/health/ready`)).status).toBe(200)
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
    expect(out).toContain('"msg":"stopped"')
  })

  it.each(['node', 'bun', 'deno'])('says in one line when the port is taken (%s), exit 1', async (runtime) => {
    const holder = createServer()
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
    const { port } = holder.address() as AddressInfo
    try {
      const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [...CLI, 'gateway', '--runtime', runtime, '--port', String(port)], { cwd: ROOT })
        let stderr = ''
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
        child.on('exit', (code) => resolve({ code, stderr }))
      })
      expect(run.code).toBe(1)
      expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^gatehouse: cannot listen on 127\\.0\\.0\\.1:${port}: `))])
    } finally {
      holder.close()
    }
  })
})
