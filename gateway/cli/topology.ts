import pkg from '../../package.json' with { type: 'json' }
import { mountDemoService } from '../../internal/demo/service.ts'
import { createBatchingSink } from '../../internal/shell/access-log.ts'
import { listen } from '../../internal/shell/run.ts'
import { createNodeRuntime } from '../../internal/shell/runtime/node.ts'
import { createShell } from '../../internal/shell/shell.ts'
import { startGateway } from '../runtime/start.ts'

/** The demo upstream's fixed address: the shipped `policies/services.yaml` points at it. */
const DEMO = { hostname: '127.0.0.1', port: 8081 }

/**
 * `gatehouse start`: every node of the topology in this process, on embedded defaults (no
 * Redis, no external service). Today: the demo upstream and the edge gateway in front of it.
 */
export async function startTopology(args: readonly string[]): Promise<void> {
  const runtime = createNodeRuntime()
  const sink = createBatchingSink(runtime.writeStdout)
  // The gateway's access log already shows every request that reaches the demo.
  const demo = createShell({ node: 'demo', runtime, version: pkg.version, sink, accessLog: false })
  mountDemoService(demo.app)
  const demoListener = await listen(runtime, { ...DEMO, fetch: (request, info) => demo.app.fetch(request, info) })
  demo.lifecycle.markReady()
  const { listener } = await startGateway(runtime, args, { onStopped: () => demoListener.drain(5_000) })
  const base = `http://${listener.hostname}:${listener.port}`
  console.log(
    [
      '',
      'Gatehouse is running on embedded defaults:',
      `  gateway        ${base}        policies/ (hot reload on save)`,
      `  demo upstream  http://${DEMO.hostname}:${DEMO.port}`,
      `  readiness      ${base}/health/ready`,
      `  metrics        ${base}/metrics`,
      '',
      `Try:  curl -i ${base}/v1/items/42`,
      'Stop: Ctrl-C (drains requests in flight, then exits)',
      '',
    ].join('\n'),
  )
}
