import { describe, expect, it } from 'vitest'
import { applyTransform } from './transforms.ts'
import { percentDecode, percentDecodeOnce } from './url-decode.ts'

describe('url decoding', () => {
  it('decodes repeatedly (bounded), leniently, with %u and overlong UTF-8', () => {
    expect(percentDecode('%2527%2520or')).toBe("' or")
    expect(percentDecode('%25252527')).toBe('%27') // three rounds, then it stops
    expect(percentDecode('..%c0%af..%c0%af')).toBe('../../')
    expect(percentDecode('%c1%9c%e0%80%ae')).toBe('\\.')
    expect(percentDecode('%u002e%U2215')).toBe('.\u2215')
    expect(percentDecode('100% sure %zz %')).toBe('100% sure %zz %')
    expect(percentDecode('caf%C3%A9')).toBe('café')
    expect(percentDecode('a+b')).toBe('a+b')
    expect(percentDecodeOnce('a+b%20c')).toBe('a b c')
  })
})

describe('transforms', () => {
  const t = applyTransform
  it('decodes HTML entities (named, decimal, hex, without semicolons, double-encoded)', () => {
    expect(t('htmlEntityDecode', '&lt;script&gt;&#x61;&#108&colon;&amp;lt;')).toBe('<script>al:<')
    expect(t('htmlEntityDecode', 'Tom &unknown; Jerry')).toBe('Tom &unknown; Jerry')
  })
  it('decodes JS escapes', () => {
    expect(t('jsDecode', '\\x3cscript\\u003e\\u{61}\\141')).toBe('<script>aa')
  })
  it('normalises Unicode: fullwidth, compatibility digits, invisible characters, slash look-alikes', () => {
    expect(t('unicodeNormalize', 'ＳＥＬＥＣＴ ①②⑦ ．．∕ se\u200blect')).toBe('SELECT 127 ../ select')
  })
  it('removes SQL/C comment delimiters but keeps MySQL executable comment content', () => {
    expect(t('removeComments', "1'/**/union/*!50000select*/1")).toBe("1'  union select 1")
  })
  it('compresses and removes whitespace', () => {
    expect(t('compressWhitespace', 'a \t\n b\u00a0c')).toBe('a b c')
    expect(t('removeWhitespace', 'java\tscript :')).toBe('javascript:')
  })
  it('normalises paths', () => {
    expect(t('normalizePath', '/a/./b/../c//d\\e/..%2f')).toBe('/a/c/d/e/..%2f')
    expect(t('normalizePath', '/static/../../.env')).toBe('/.env')
  })
  it('undoes shell evasions with cmdLine, keeping newlines as separators', () => {
    expect(t('cmdLine', `C''AT /e"t"c/pa\\sswd;echo\${IFS}x`)).toBe('cat /etc/passwd;echo x')
    expect(t('cmdLine', 'a\nid')).toBe('a\nid')
  })
  it('case folds', () => {
    expect(t('lowercase', 'UnIoN')).toBe('union')
  })
})
