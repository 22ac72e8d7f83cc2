import { commands, usage } from './commands.ts'

const [name, ...args] = process.argv.slice(2)
const command = name === undefined ? undefined : commands.get(name)
if (!command) {
  const help = name === undefined || name === 'help' || name === '--help' || name === '-h'
  ;(help ? console.log : console.error)(usage())
  process.exit(help ? 0 : 2)
}
process.exitCode = await command.run(args)
