import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/config.ts';
import { buildIntents } from '../mapping/intents.ts';
import { nbPrefix } from '../../test/support/fake-netbox-reader.ts';
import { boundedIssue, formatIssue, ISSUE_LIMITS } from './issue.ts';

/**
 * Issues quote what NetBox holds; a hostile 200 kB pool name or prefix must not become a 200 kB message in the plan,
 * the logs and the drift page (found by test/reliability/bad-netbox.test.ts).
 */
describe('bounded issues', () => {
  it('cuts reason, hint, field and object name', () => {
    const huge = 'ü'.repeat(200_000);
    const i = boundedIssue({
      severity: 'error',
      subject: { type: 'netbox', model: 'prefix', id: 1, display: huge },
      field: huge,
      reason: huge,
      hint: huge,
    });
    expect(i.reason.length).toBe(ISSUE_LIMITS.reason);
    expect(i.hint?.length).toBe(ISSUE_LIMITS.hint);
    expect(i.field?.length).toBe(ISSUE_LIMITS.field);
    expect(formatIssue(i).length).toBeLessThan(1500);
  });

  it('the mapping reports an enormous pool name in bounded size', () => {
    const r = parseConfig({ cluster: 'lab', netbox: { url: 'https://nb' } }, {});
    if (!r.ok) throw new Error('config');
    const prefix = nbPrefix(1, '10.0.0.0/24', {
      role: 'k8s-secondary',
      tags: ['k8s-lab'],
      cf: { k8s_pool_name: 'ü'.repeat(200_000) },
    });
    const { issues } = buildIntents(
      { prefixes: [prefix], ipRanges: [], recorded: { prefixes: [], ipRanges: [], ipAddresses: [] } },
      r.config,
    );
    expect(issues.length).toBeGreaterThan(0);
    for (const i of issues) expect(formatIssue(i).length).toBeLessThan(1500);
  });
});
