import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { startEmulator } from '../../dev/netbox-emulator/index.ts';
import type { Emulator } from '../../dev/netbox-emulator/index.ts';
import { createLogger } from '../../src/log.ts';
import { runBootstrap, wantedObjects } from '../../src/netbox/bootstrap/bootstrap.ts';
import { NetBoxClient, NetBoxConfigError, NetBoxUnavailableError } from '../../src/netbox/client/index.ts';
import type { NetBoxClientOptions } from '../../src/netbox/client/index.ts';
import { realNetBox } from '../support/netbox.ts';
import { runCli } from '../support/security-session.ts';
import { makePki, startTlsProxy } from '../support/security-tls.ts';
import type { CertName, Pki, TlsProxy } from '../support/security-tls.ts';
import { recordFigures } from './figures.ts';

/**
 * TLS to NetBox on loopback (issue 15): NetBox (real, or the emulator with NBSYNC_NETBOX=emulator) behind a
 * TLS-terminating proxy, with certificates from a private CA made by openssl. Verification is on by default and
 * refuses an unknown CA, a self-signed certificate, a certificate for another host and an expired one, each with
 * an error that says what failed, which URL, and what to do; `netbox.caFile` makes the private CA work;
 * `insecureSkipVerify` works and warns. The client is checked in-process and the CLI as a user sees it.
 */

let dir: string;
let pki: Pki;
let upstream: { url: string; token: string; close(): Promise<void> };
const proxies = {} as Record<CertName, TlsProxy>;
const cases: string[] = [];

function client(url: string, opts: Partial<NetBoxClientOptions> = {}): NetBoxClient {
  return new NetBoxClient({ url, token: upstream.token, maxRetries: 2, retryBaseMs: 10, timeoutMs: 30_000, ...opts });
}

async function refusal(url: string, opts: Partial<NetBoxClientOptions> = {}): Promise<NetBoxUnavailableError> {
  const c = client(url, opts);
  const err = await c.status().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NetBoxUnavailableError);
  // A certificate problem is not retried: one attempt, one request.
  expect(c.stats().requests).toBe(1);
  return err as NetBoxUnavailableError;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nbsync-tls-'));
  pki = makePki(dir);
  const real = realNetBox();
  if (real) {
    upstream = { url: real.url, token: real.tokens.v1, close: () => Promise.resolve() };
  } else {
    const emu: Emulator = await startEmulator();
    upstream = { url: emu.url, token: emu.tokens.v1, close: () => emu.close() };
  }
  // The CLI cases plan cluster `tls`: NetBox needs its tag, roles and custom fields, as `netbox bootstrap` makes.
  const boot = await runBootstrap(client(upstream.url), wantedObjects({ cluster: 'tls', roles: ['k8s-pod'] }));
  if (!boot.ok) throw new Error(`bootstrap failed: ${JSON.stringify(boot.results)}`);
  for (const name of ['good', 'wrongHost', 'expired', 'selfSigned'] as const) {
    proxies[name] = await startTlsProxy(pki.certs[name], upstream.url);
  }
});

afterAll(async () => {
  await Promise.all(Object.values(proxies).map(p => p.close()));
  await upstream?.close();
  recordFigures(inject('reliabilityFigures'), [
    {
      suite: 'security',
      scenario: 'TLS to NetBox (loopback proxy, private CA)',
      trials: cases.length,
      faults: cases.filter(c => c.startsWith('refused')).length,
      lost: 0,
      duplicated: 0,
      wronglyDeleted: 0,
      extra: {
        refused: cases.filter(c => c.startsWith('refused')).length,
        accepted: cases.filter(c => c.startsWith('accepted')).length,
        cli: cases.filter(c => c.includes('cli')).length,
      },
    },
  ]);
  rmSync(dir, { recursive: true, force: true });
});

describe('TLS to NetBox: verified by default, a private CA by caFile, clear errors', () => {
  it('default verification refuses a certificate from an unknown CA: what, where, and "set netbox.caFile"', async () => {
    const url = proxies.good.url;
    const err = await refusal(url);
    expect(err.message).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(err.message).toContain('GET /api/status/ failed');
    expect(err.message).toContain(url);
    expect(err.message).toMatch(/not signed by a CA trusted here.*set netbox\.caFile \(env NETBOX_CA_FILE\)/);
    expect(proxies.good.handshakes).toBe(0);
    cases.push('refused: unknown CA');
  });

  it('refuses a self-signed server certificate', async () => {
    const err = await refusal(proxies.selfSigned.url);
    expect(err.message).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(err.message).toContain(proxies.selfSigned.url);
    expect(err.message).toContain('netbox.caFile');
    cases.push('refused: self-signed');
  });

  it('with caFile the private CA is trusted: status and a listing go through the proxy', async () => {
    const c = client(proxies.good.url, { caFile: pki.caFile });
    const status = await c.status();
    expect(status['netbox-version']).toMatch(/^\d+\.\d+/);
    expect(Array.isArray(await c.listTags())).toBe(true);
    expect(proxies.good.handshakes).toBeGreaterThan(0);
    // The certificate names localhost too.
    const byName = client(proxies.good.url.replace('127.0.0.1', 'localhost'), { caFile: pki.caFile });
    expect((await byName.status())['netbox-version']).toBe(status['netbox-version']);
    cases.push('accepted: caFile', 'accepted: caFile, by host name');
  });

  it('with caFile, a certificate for another host name is refused, naming the host', async () => {
    const err = await refusal(proxies.wrongHost.url, { caFile: pki.caFile });
    expect(err.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(err.message).toContain(`not issued for 127.0.0.1`);
    expect(err.message).toContain(proxies.wrongHost.url);
    cases.push('refused: wrong host name');
  });

  it('with caFile, an expired certificate is refused', async () => {
    const err = await refusal(proxies.expired.url, { caFile: pki.caFile });
    expect(err.message).toContain('CERT_HAS_EXPIRED');
    expect(err.message).toContain('outside its validity period');
    cases.push('refused: expired');
  });

  it('the CA file of another CA does not help (caFile adds trust, it does not switch verification off)', async () => {
    const other = join(dir, 'other-ca.pem');
    writeFileSync(other, pki.certs.selfSigned.cert);
    const err = await refusal(proxies.good.url, { caFile: other });
    expect(err.message).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(err.message).toContain(`caFile ${other}`);
    cases.push('refused: caFile of another CA');
  });

  it('an unreadable caFile, or caFile with insecureSkipVerify, is a config error before any request', () => {
    expect(() => client(proxies.good.url, { caFile: join(dir, 'missing.pem') })).toThrow(NetBoxConfigError);
    expect(() => client(proxies.good.url, { caFile: join(dir, 'missing.pem') })).toThrow(/missing\.pem \(ENOENT\)/);
    expect(() => client(proxies.good.url, { caFile: pki.caFile, insecureSkipVerify: true })).toThrow(
      /caFile.*insecureSkipVerify/,
    );
    cases.push('refused: unreadable caFile', 'refused: caFile + insecureSkipVerify');
  });

  it('insecureSkipVerify connects to the self-signed server and warns, naming the URL', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'warn', destination: sink });
    const c = client(proxies.selfSigned.url, { insecureSkipVerify: true, logger });
    expect((await c.status())['netbox-version']).toMatch(/^\d+\.\d+/);
    const warning = lines
      .map(l => JSON.parse(l) as { level: number; msg: string; url?: string })
      .find(l => /TLS/.test(l.msg));
    expect(warning?.level).toBe(40);
    expect(warning?.msg).toContain('TLS verification of NetBox is OFF');
    expect(warning?.url).toContain(proxies.selfSigned.url);
    cases.push('accepted: insecureSkipVerify (warned)');
  });
});

describe('TLS to NetBox through the CLI, as a user sees it', () => {
  const config = (url: string, extra: Record<string, unknown> = {}): string => {
    const file = join(dir, `cfg-${cases.length}.yaml`);
    writeFileSync(
      file,
      stringify({
        cluster: 'tls',
        netbox: { url, tokenEnv: 'TLS_NETBOX_TOKEN', ...extra },
        selection: { roles: { 'k8s-pod': 'calico' } },
      }),
    );
    return file;
  };

  it('plan: refused by default with one clear line; works with NETBOX_CA_FILE; warns with insecureSkipVerify', async () => {
    const env = { TLS_NETBOX_TOKEN: upstream.token, LOG_LEVEL: 'warn' };
    const refused = await runCli(['plan', '--no-cluster', '-c', config(proxies.good.url)], env);
    console.log(`[security-tls] plan, NetBox behind a private CA, no caFile:\n  ${refused.stderr.trim()}`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(proxies.good.url);
    expect(refused.stderr).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(refused.stderr).toContain('netbox.caFile');
    expect(refused.stderr).not.toContain(upstream.token);
    cases.push('refused: cli default verification');

    const trusted = await runCli(['plan', '--no-cluster', '-c', config(proxies.good.url)], {
      ...env,
      NETBOX_CA_FILE: pki.caFile,
    });
    expect({ code: trusted.code, stderr: trusted.stderr }).toEqual({ code: 0, stderr: '' });
    cases.push('accepted: cli NETBOX_CA_FILE');

    const skipping = await runCli(
      ['plan', '--no-cluster', '-c', config(proxies.selfSigned.url, { insecureSkipVerify: true })],
      env,
    );
    expect(skipping.code).toBe(0);
    expect(skipping.stderr).toContain('TLS verification of NetBox is OFF');
    cases.push('accepted: cli insecureSkipVerify (warned)');

    const check = await runCli(
      ['config', 'check', '-c', config(proxies.selfSigned.url, { insecureSkipVerify: true })],
      env,
    );
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/warning.*insecureSkipVerify/i);
    cases.push('accepted: cli config check warns about insecureSkipVerify');
  });
});
