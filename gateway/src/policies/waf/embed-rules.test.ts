import { readdir, readFile, writeFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'

const RULES_DIR = new URL('./rules/', import.meta.url)
const GENERATED = new URL('./rules/embedded.gen.ts', import.meta.url)

/** The embedded module for the current rules/*.yaml (sorted by name, text as JSON strings). */
async function render(): Promise<string> {
  const names = (await readdir(RULES_DIR)).filter((n) => n.endsWith('.yaml')).sort()
  const entries = await Promise.all(names.map(async (n) => `  ${JSON.stringify(n)}: ${JSON.stringify(await readFile(new URL(n, RULES_DIR), 'utf8'))},`))
  return [
    '// Generated from rules/*.yaml by embed-rules.test.ts: do not edit. After changing a rule file run',
    '// WAF_WRITE_RULES=1 npx vitest run --config test/vitest.config.ts gateway/src/policies/waf/embed-rules.test.ts',
    'export const RULE_FILES: Readonly<Record<string, string>> = {',
    ...entries,
    '}',
    '',
  ].join('\n')
}

describe('embedded rule files', () => {
  it('match rules/*.yaml (WAF_WRITE_RULES=1 rewrites them)', async () => {
    const expected = await render()
    if (process.env.WAF_WRITE_RULES === '1') await writeFile(GENERATED, expected)
    expect(await readFile(GENERATED, 'utf8').catch(() => '')).toBe(expected)
  })
})
