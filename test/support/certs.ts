import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** PEM text of one certificate with its key, and where both were written. */
export interface IssuedCert {
  readonly cert: string
  readonly key: string
  readonly certPath: string
  readonly keyPath: string
}

/** Everything the mTLS and TLS tests need, made fresh at run time with the `openssl` CLI. */
export interface TestPki {
  readonly dir: string
  /** The CA that signs the server and the trusted clients. */
  readonly ca: IssuedCert
  /** Server certificate for `localhost` and 127.0.0.1. */
  readonly server: IssuedCert
  /** Client with SAN URI `spiffe://example.org/ns/acme/sa/billing` and CN `billing`. */
  readonly spiffeClient: IssuedCert
  /** Client with only a subject CN (`legacy-client`). */
  readonly cnClient: IssuedCert
  /** Signed by the trusted CA, valid from 2020-01-01 to 2020-01-02. */
  readonly expiredClient: IssuedCert
  /** A client from another CA (SAN URI `spiffe://evil.example/ns/acme/sa/billing`). */
  readonly otherCaClient: IssuedCert
  /** An internal node's identity, server and client (`localhost`, 127.0.0.1, `spiffe://example.org/node`). */
  readonly node: IssuedCert
  remove(): Promise<void>
}

const openssl = async (cwd: string, args: string[]) => {
  await run('/usr/bin/openssl', args, { cwd, timeout: 20_000 })
}

/** A self-signed CA (P-256). */
async function makeCa(dir: string, name: string): Promise<IssuedCert> {
  const keyPath = join(dir, `${name}.key`)
  const certPath = join(dir, `${name}.crt`)
  await openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyPath])
  await openssl(dir, [
    'req', '-x509', '-new', '-key', keyPath, '-sha256', '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', certPath,
  ])
  return load(certPath, keyPath)
}

interface LeafSpec {
  readonly name: string
  readonly cn: string
  /** subjectAltName value, e.g. `URI:spiffe://…` or `DNS:localhost,IP:127.0.0.1`. */
  readonly san?: string
  readonly usage: 'serverAuth' | 'clientAuth' | 'serverAuth,clientAuth'
  /** `[start, end]` as openssl's YYYYMMDDHHMMSSZ; default valid now for 2 days. */
  readonly validity?: readonly [string, string]
}

/**
 * A leaf signed by `ca`. `openssl ca` (not `x509 -req`) because only it can back-date a
 * certificate, which the expired case needs; it wants a tiny database in the directory.
 */
async function makeLeaf(dir: string, ca: IssuedCert, spec: LeafSpec): Promise<IssuedCert> {
  const keyPath = join(dir, `${spec.name}.key`)
  const csrPath = join(dir, `${spec.name}.csr`)
  const certPath = join(dir, `${spec.name}.crt`)
  const db = join(dir, `${spec.name}.db`)
  const config = join(dir, `${spec.name}.cnf`)
  await writeFile(db, '')
  await writeFile(
    config,
    [
      '[ca]', 'default_ca = ca_default', '[ca_default]', `database = ${db}`, `new_certs_dir = ${dir}`,
      'default_md = sha256', 'policy = any', 'copy_extensions = none', 'unique_subject = no', 'rand_serial = yes',
      '[any]', 'commonName = supplied', '[leaf]', 'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature,keyEncipherment', `extendedKeyUsage = ${spec.usage}`,
      ...(spec.san ? [`subjectAltName = ${spec.san}`] : []),
    ].join('\n') + '\n',
  )
  await openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyPath])
  await openssl(dir, ['req', '-new', '-key', keyPath, '-subj', `/CN=${spec.cn}`, '-out', csrPath])
  const [start, end] = spec.validity ?? [stamp(Date.now() - 3_600_000), stamp(Date.now() + 2 * 86_400_000)]
  await openssl(dir, [
    'ca', '-batch', '-config', config, '-extensions', 'leaf', '-cert', ca.certPath, '-keyfile', ca.keyPath,
    '-startdate', start, '-enddate', end, '-notext', '-in', csrPath, '-out', certPath,
  ])
  return load(certPath, keyPath)
}

/** openssl's UTCTime-ish `YYYYMMDDHHMMSSZ`. */
function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'
}

async function load(certPath: string, keyPath: string): Promise<IssuedCert> {
  return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8'), certPath, keyPath }
}

/** A fresh PKI in a temp dir (~1 s): call once per test file, `remove()` in afterAll. */
export async function makeTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-pki-'))
  const [ca, otherCa] = await Promise.all([makeCa(dir, 'test-ca'), makeCa(dir, 'other-ca')])
  const [server, spiffeClient, cnClient, expiredClient, otherCaClient, node] = await Promise.all([
    makeLeaf(dir, ca, { name: 'server', cn: 'localhost', san: 'DNS:localhost,IP:127.0.0.1', usage: 'serverAuth' }),
    makeLeaf(dir, ca, { name: 'spiffe-client', cn: 'billing', san: 'URI:spiffe://example.org/ns/acme/sa/billing', usage: 'clientAuth' }),
    makeLeaf(dir, ca, { name: 'cn-client', cn: 'legacy-client', usage: 'clientAuth' }),
    makeLeaf(dir, ca, {
      name: 'expired-client', cn: 'expired', san: 'URI:spiffe://example.org/ns/acme/sa/old', usage: 'clientAuth',
      validity: ['20200101000000Z', '20200102000000Z'],
    }),
    makeLeaf(dir, otherCa, { name: 'other-client', cn: 'billing', san: 'URI:spiffe://evil.example/ns/acme/sa/billing', usage: 'clientAuth' }),
    makeLeaf(dir, ca, { name: 'node', cn: 'node', san: 'DNS:localhost,IP:127.0.0.1,URI:spiffe://example.org/node', usage: 'serverAuth,clientAuth' }),
  ])
  return { dir, ca, server, spiffeClient, cnClient, expiredClient, otherCaClient, node, remove: () => rm(dir, { recursive: true, force: true }) }
}
