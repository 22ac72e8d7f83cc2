#!/usr/bin/env node
// The `gatehouse` command: registers tsx (Node 20 cannot run TypeScript natively) and runs the CLI.
import { register } from 'tsx/esm/api'

register()
await import('./main.ts')
