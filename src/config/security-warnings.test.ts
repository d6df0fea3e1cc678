import { describe, expect, it } from 'vitest';
import { parseConfig, securityWarnings } from './config.ts';
import type { Config } from './config.ts';
import { formatIssue } from '../model/issue.ts';

function config(netbox: Record<string, unknown>, env: Record<string, string> = {}): Config {
  const r = parseConfig({ cluster: 'lab', netbox: { url: 'https://netbox.example.com', ...netbox } }, env);
  if (!r.ok) throw new Error(r.issues.map(formatIssue).join('; '));
  return r.config;
}

describe('securityWarnings: valid settings that weaken security', () => {
  it('warns about insecureSkipVerify, from the file or from NETBOX_INSECURE_SKIP_VERIFY, and names the fix', () => {
    for (const c of [config({ insecureSkipVerify: true }), config({}, { NETBOX_INSECURE_SKIP_VERIFY: 'true' })]) {
      const [w, ...more] = securityWarnings(c);
      expect(more).toEqual([]);
      expect(w).toMatchObject({ severity: 'warning', subject: { type: 'config', path: 'netbox.insecureSkipVerify' } });
      expect(formatIssue(w ?? { severity: 'error', subject: { type: 'config', path: '' }, reason: '' })).toMatch(
        /TLS verification of NetBox is off.*caFile/s,
      );
    }
  });

  it('says nothing for verified TLS, with or without a caFile', () => {
    expect(securityWarnings(config({}))).toEqual([]);
    expect(securityWarnings(config({ caFile: '/etc/ssl/netbox-ca.pem' }))).toEqual([]);
  });
});
