import { join, resolve } from 'node:path'
import pkg from '../../package.json' with { type: 'json' }
import { startGateway } from '../../gateway/runtime/start.ts'
import { mountDemoService } from '../../internal/demo/service.ts'
import { runRoleNode } from '../../internal/node/main.ts'
import { lockDataDir } from '../../internal/node/runtime/data-lock.ts'
import { ROLES } from '../../internal/node/roles.ts'
import { createBatchingSink } from '../../internal/shell/access-log.ts'
import { listen } from '../../internal/shell/run.ts'
import { createNodeRuntime } from '../../internal/shell/runtime/node.ts'
import { createShell } from '../../internal/shell/shell.ts'
import { startControlGateway } from '../../control-gateway/runtime/start.ts'

/** Fixed addresses of the embedded topology: the shipped `policies/services.yaml` points at them. */
export const TOPOLOGY = {
  demo: { hostname: '127.0.0.1', port: 8081 },
  storage: { hostname: '127.0.0.1', port: 7101 },
  processing: { hostname: '127.0.0.1', port: 7102 },
  metadata: { hostname: '127.0.0.1', port: 7103 },
} as const

/**
 * `gatehouse start`: every node of the topology in this process, on embedded defaults (no
 * Redis, no external service; data under `.gatehouse/`): the demo upstream, one node of each
 * internal role, and the edge gateway in front of them. Drains them in that order, gateway first.
 */
export async function startTopology(args: readonly string[]): Promise<void> {
  const runtime = createNodeRuntime()
  const sink = createBatchingSink(runtime.writeStdout)
  // The gateway's access log already shows every request that reaches the demo.
  const demo = createShell({ node: 'demo', runtime, version: pkg.version, sink, accessLog: false })
  mountDemoService(demo.app)
  const demoListener = await listen(runtime, { ...TOPOLOGY.demo, fetch: (request, info) => demo.app.fetch(request, info) })
  const behind: ((deadlineMs: number) => Promise<void>)[] = [(deadlineMs) => demoListener.drain(deadlineMs)]
  demo.lifecycle.markReady()

  const lines: string[] = [`  demo upstream  http://${TOPOLOGY.demo.hostname}:${TOPOLOGY.demo.port}`]
  for (const name of ['metadata', 'storage', 'processing'] as const) {
    const role = ROLES.get(name)
    if (!role) continue
    const dataDir = resolve('.gatehouse', name)
    const registryUrl = `http://${TOPOLOGY.metadata.hostname}:${TOPOLOGY.metadata.port}`
    const node = await runRoleNode(runtime, { role, dataDir, ...TOPOLOGY[name], version: pkg.version, standalone: false, registryUrl, lockDataDir })
    behind.push((deadlineMs) => node.stop(deadlineMs))
    lines.push(`  ${name.padEnd(14)} http://${TOPOLOGY[name].hostname}:${TOPOLOGY[name].port}   data ${join('.gatehouse', name)}`)
  }

  // The control gateway needs a JWT secret to verify operators' tokens: started only when one is set.
  if (runtime.env('GATEHOUSE_CONTROL_JWT_SECRET')) {
    const metadataUrl = `http://${TOPOLOGY.metadata.hostname}:${TOPOLOGY.metadata.port}`
    const control = await startControlGateway(['--port', '9090', '--metadata', metadataUrl, '--data', resolve('.gatehouse', 'control')], { standalone: false })
    behind.unshift((deadlineMs) => control.stop(deadlineMs))
    lines.push(`  control        http://127.0.0.1:9090   audit .gatehouse/control/audit.log`)
  } else lines.push('  control        off (set GATEHOUSE_CONTROL_JWT_SECRET to run one on 127.0.0.1:9090)')

  const { listener } = await startGateway(runtime, args, {
    onStopped: async () => {
      for (const stop of behind) await stop(5_000)
    },
  })
  const base = `http://${listener.hostname}:${listener.port}`
  console.log(
    [
      '',
      'Gatehouse is running on embedded defaults:',
      `  gateway        ${base}        policies/ (hot reload on save)`,
      ...lines,
      `  readiness      ${base}/health/ready`,
      `  metrics        ${base}/metrics`,
      '',
      `Try:  curl -i ${base}/v1/items/42`,
      'Stop: Ctrl-C (drains requests in flight, then exits)',
      '',
    ].join('\n'),
  )
}
