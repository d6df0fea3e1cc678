import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { describe, expect, it } from 'vitest';
import { buildCli } from '../../../src/cli.ts';
import { renderDriftHtml, escapeHtml } from '../../../src/drift/html.ts';
import { renderDriftJson } from '../../../src/drift/json.ts';
import { renderDriftMarkdown } from '../../../src/drift/markdown.ts';
import { buildDriftReport } from '../../../src/drift/report.ts';
import { ADAPTERS } from '../../../src/kinds/registry.ts';
import { RESOURCES } from '../../../src/kinds/resources.ts';
import type { DriftCategory, DriftEntry, DriftReport } from '../../../src/model/drift.ts';
import { DRIFT_CATEGORIES } from '../../../src/model/drift.ts';
import { calculateWriteback } from '../../../src/writeback/plan.ts';
import type { OwnedRecord } from '../../../src/writeback/types.ts';
import { ciliumNode, loadBalancerService } from './allocations.ts';
import { editInCluster, ensureNamespace } from './kube.ts';
import { prefixBody } from '../../support/e2e.ts';
import { useScenario } from './lifecycle.ts';
import type { NetBoxRef } from './lifecycle.ts';

/**
 * Every drift category made on purpose on the real apiserver (NetBox emulator), then one read-only cycle and its
 * report: each category is named precisely — object, NetBox page — in JSON, Markdown and HTML alike. Then the
 * `drift` command itself, against the same lab and against a NetBox that does not answer.
 */
describe('e2e drift: every category, named in every format', () => {
  const s = useScenario('metallb');
  const ns = 'metallb-system';
  const pool = RESOURCES.metallbIpAddressPool;
  const refs: Record<string, NetBoxRef> = {};
  let report: DriftReport;
  let formats: { json: string; md: string; html: string };
  const lb = (name: string, over: Record<string, unknown> = {}) => ({ k8s_pool_name: s.name(name), ...over });
  const svc = (name: string, offset: number, poolName: string) =>
    s.hold(loadBalancerService({ namespace: s.namespace, name, ip: s.at(offset), pool: s.name(poolName) }));

  it('sets the scene: pools applied, then NetBox and the cluster pulled apart', async () => {
    await ensureNamespace(ns);
    refs['a'] = await s.prefix(`${s.at(0)}/28`, 'k8s-loadbalancer', lb('a'));
    await s.address(`${s.at(15)}/28`, 'static VIP'); // held: a hands out 15 of its 16 addresses
    refs['b'] = await s.prefix(`${s.at(64)}/28`, 'k8s-loadbalancer', lb('b'));
    refs['c'] = await s.prefix(`${s.at(128)}/28`, 'k8s-loadbalancer', lb('c'));
    refs['g'] = await s.prefix(`${s.at(384)}/28`, 'k8s-loadbalancer', lb('g'));
    refs['pods'] = await s.prefix(`${s.at(512)}/23`, 'k8s-pod', {
      k8s_pool_kind: 'cilium-pod',
      k8s_pool_name: s.name('pods'),
    });
    await s.address(`${s.at(522)}/23`, 'static server in the pod network'); // unexcludable
    await s.cycle('create the pools');

    // utilisation: 13 of a's 15 assignable addresses → 86.7%; a 14th Service on NetBox's address (its controller's
    // mistake, or an address given out before NetBox recorded it).
    for (let i = 1; i <= 13; i++) await svc(`web-${i}`, i, 'a');
    await svc('on-held', 15, 'a'); // conflict: NetBox records the address for something else
    await svc('far-away', 900, 'a'); // conflict: outside the pool's NetBox space
    await svc('busy', 130, 'c');
    await s.hold(ciliumNode({ name: s.name('node-1'), pool: s.name('pods'), cidrs: [`${s.at(512)}/24`] }));
    expect(await s.steady('allocations only')).toEqual([]);

    refs['d'] = await s.prefix(`${s.at(192)}/28`, 'k8s-loadbalancer', lb('d')); // missing
    await editInCluster(pool, s.name('a'), ns, { spec: { autoAssign: false } }); // changed
    await s.remove('prefix', refs['b']); // unexpected: deleted
    await s.remove('prefix', refs['c']); // unexpected: drained, and the delete blocked by the Service
    refs['e'] = await s.prefix(`${s.at(256)}/28`, 'k8s-loadbalancer', { k8s_pool_name: 'Not_A_Name!' }); // invalid
    await s.unmanagedPool(pool, s.name('team'), { spec: { addresses: [`${s.at(390)}-${s.at(395)}`] } }, ns); // unmanaged
    // one space in two pools — a VRF that allows duplicate prefixes, and the same prefix twice in it
    const vrf = await s.lab.client.create<NetBoxRef>('ipam/vrfs', { name: s.name('loose'), enforce_unique: false });
    for (const name of ['h1', 'h2']) {
      refs[name] = await s.lab.client.create<NetBoxRef>(
        'ipam/prefixes',
        prefixBody(s.lab, `${s.at(448)}/28`, 'k8s-loadbalancer', lb(name), { vrf: vrf.id }),
      );
    }
  });

  it('one read-only cycle → a report with every category', async () => {
    const run = await s.lab.cycle({ apply: false });
    expect(run.source.healthy).toBe(true);
    expect(run.writes).toBe(0);

    // Stale: a record of ours in NetBox whose allocation is gone, in its grace period (writeback's own plan).
    const stale = await s.address(`${s.at(40)}/28`, 'k8s: shop/gone');
    const owned: OwnedRecord = {
      model: 'ip-address',
      vrf: null,
      space: s.at(40),
      key: `ip-address|global|${s.at(40)}`,
      id: stale.id,
      url: stale.url,
      location: { address: `${s.at(40)}/28` },
      tags: ['k8s-ippool-sync', s.lab.clusterTag],
      customFields: {
        k8s_pool: `metallb:${ns}/${s.name('a')}`,
        k8s_stale_since: new Date(Date.now() - 3600_000).toISOString(),
      },
      description: '',
      dnsName: '',
    };
    const writeback = calculateWriteback({
      desired: [],
      owned: [owned],
      foreign: [],
      readKinds: new Set(['metallb']),
      now: new Date(),
      settings: {
        cluster: s.lab.cluster,
        managedTag: 'k8s-ippool-sync',
        clusterTag: s.lab.clusterTag,
        fields: { cluster: 'k8s_cluster', owner: 'k8s_owner', pool: 'k8s_pool', staleSince: 'k8s_stale_since' },
        addressStatus: 'reserved',
        blockStatus: 'reserved',
        blocksAs: 'prefix',
        grain: {},
        graceMs: 86_400_000,
      },
    });
    report = buildDriftReport({
      cluster: s.lab.cluster,
      netboxUrl: s.lab.config.netbox.url,
      ...run,
      adapters: ADAPTERS,
      threshold: s.lab.config.drift.utilisationThreshold,
      writeback: { kept: writeback.kept, conflicts: writeback.conflicts },
    });
    formats = { json: renderDriftJson(report), md: renderDriftMarkdown(report), html: renderDriftHtml(report) };
    const out = join(import.meta.dirname, '..', '..', 'output', 'e2e-drift');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'drift.json'), formats.json);
    writeFileSync(join(out, 'drift.md'), formats.md);
    writeFileSync(join(out, 'drift.html'), formats.html);

    expect(report.status).toBe('drift');
    for (const c of DRIFT_CATEGORIES) expect(report.counts[c], `${c}:\n${formats.md}`).toBeGreaterThan(0);
  });

  const page = (ref: string) => `${s.lab.netbox.url}/ipam/prefixes/${refs[ref]?.id ?? -1}/`;
  const find = (category: DriftCategory, match: (e: DriftEntry) => boolean): DriftEntry => {
    const e = report.entries.find(x => x.category === category && match(x));
    if (e === undefined) throw new Error(`no ${category} entry as expected in:\n${formats.md}`);
    return e;
  };
  const k8sIs = (kind: string, name: string) => (e: DriftEntry) => e.k8s?.kind === kind && e.k8s.name === name;

  it.each<[string, DriftCategory, () => (e: DriftEntry) => boolean, () => string | undefined]>([
    ['missing pool d', 'missing', () => k8sIs('IPAddressPool', s.name('d')), () => page('d')],
    ['deleted pool b', 'unexpected', () => k8sIs('IPAddressPool', s.name('b')), () => page('b')],
    [
      'drained pool c',
      'unexpected',
      () => e => k8sIs('IPAddressPool', s.name('c'))(e) && /draining/.test(e.summary),
      () => page('c'),
    ],
    [
      'hand-edited pool a',
      'changed',
      () => e =>
        k8sIs('IPAddressPool', s.name('a'))(e) &&
        e.fields?.some(f => f.path === 'spec.autoAssign' && f.cluster === 'false') === true,
      () => page('a'),
    ],
    [
      'delete of c blocked by its Service',
      'blocked',
      () => e => k8sIs('IPAddressPool', s.name('c'))(e) && e.blockedAction === 'delete' && e.allocations === 1,
      () => page('c'),
    ],
    [
      'prefix e with a bad pool name',
      'invalid',
      () => e => e.netbox.some(l => l.id === refs['e']?.id) && /Not_A_Name!/.test(e.reason),
      () => page('e'),
    ],
    ['the team pool', 'unmanaged', () => k8sIs('IPAddressPool', s.name('team')), () => page('g')],
    // Mapping itself refuses one space in two pools of a VRF, so the overlap is reported as invalid input, both ways.
    [
      'h1 overlapping h2',
      'invalid',
      () => e =>
        e.reason.includes(`pool ${s.name('h2')}`) && /both pools would hand out the same addresses/.test(e.reason),
      () => page('h1'),
    ],
    [
      'h2 overlapping h1',
      'invalid',
      () => e =>
        e.reason.includes(`pool ${s.name('h1')}`) && /both pools would hand out the same addresses/.test(e.reason),
      () => page('h2'),
    ],
    [
      'Service on NetBox’s address',
      'conflict',
      () => e => k8sIs('Service', 'on-held')(e) && e.space === s.at(15),
      () => page('a'),
    ],
    [
      'Service outside its pool',
      'conflict',
      () => e => k8sIs('Service', 'far-away')(e) && e.space === s.at(900),
      () => page('a'),
    ],
    [
      'address in the Cilium pod pool',
      'unexcludable',
      () => e => k8sIs('CiliumPodIPPool', s.name('pods'))(e) && e.reason.includes(s.at(522)),
      () => page('pods'),
    ],
    ['stale record', 'stale', () => e => e.space === s.at(40), () => undefined],
    [
      'pool a at 86.7%',
      'utilisation',
      () => e => k8sIs('IPAddressPool', s.name('a'))(e) && /86\.7% used \(13 of 15/.test(e.summary),
      () => page('a'),
    ],
  ])('%s: %s, named in JSON, Markdown and HTML', (_n, category, match, url) => {
    const e = find(category, match());
    const link = url();
    if (link !== undefined) expect(e.netbox.map(l => l.url)).toContain(link);
    const parsed = JSON.parse(formats.json) as DriftReport;
    expect(parsed.entries.find(x => x.id === e.id)).toEqual(JSON.parse(JSON.stringify(e)));
    expect(formats.md).toContain(e.summary.replace(/\|/g, '\\|'));
    expect(formats.html).toContain(escapeHtml(e.summary));
    expect(formats.html).toContain(`data-id="${escapeHtml(e.id)}"`);
    for (const l of e.netbox) {
      expect(formats.md).toContain(`](${l.url})`);
      expect(formats.html).toContain(`href="${escapeHtml(l.url)}"`);
    }
  });

  it('utilisation per pool and per node block', () => {
    const pods = report.utilisation.find(p => p.k8s.name === s.name('pods'));
    // 512 addresses, one held by NetBox (the kind cannot exclude it, so it is in the node block, but not assignable)
    expect(pods).toMatchObject({ used: '255', size: '511', percent: 49.9, overThreshold: false });
    expect(pods?.nodeBlocks).toEqual([
      { node: s.name('node-1'), block: `${s.at(512)}/24`, used: '0', size: '256', percent: 0 },
    ]);
  });

  describe('the drift command', () => {
    const dir = join(import.meta.dirname, '..', '..', 'output', 'e2e-drift');
    const configFile = (url: string) => {
      const file = join(dir, `config-${url.endsWith(':1') ? 'down' : 'up'}.yaml`);
      const roles = s.lab.config.selection.roles;
      writeFileSync(
        file,
        JSON.stringify({
          cluster: s.lab.cluster,
          netbox: { url, tokenEnv: 'E2E_DRIFT_TOKEN', timeoutMs: 2000 },
          selection: { roles },
        }),
      );
      return file;
    };
    const cli = async (args: string[]): Promise<number> => {
      let code = 0;
      process.env['E2E_DRIFT_TOKEN'] = s.lab.netbox.tokens.v1;
      await buildCli(c => (code = c)).parseAsync(['node', 'netbox-ippool-sync', ...args]);
      return code;
    };

    it('--fail-on-drift exits 3 and writes the report; the format is the one asked for', async () => {
      const out = join(dir, 'cli.md');
      const code = await cli([
        'drift',
        '-c',
        configFile(s.lab.netbox.url),
        '--kubeconfig',
        inject('kubeconfigPath'),
        '--format',
        'md',
        '--fail-on-drift',
        '-o',
        out,
      ]);
      expect(code).toBe(3);
      const md = readFileSync(out, 'utf8');
      expect(md).toMatch(/^# Drift report: cluster e2e-/);
      expect(md).toContain(`IPAddressPool metallb-system/${s.name('d')} is missing in the cluster`);
    });

    it('NetBox unreadable → exit 1, and the report says drift is unknown, never "no drift"', async () => {
      const out = join(dir, 'cli-down.json');
      const code = await cli([
        'drift',
        '-c',
        configFile('http://127.0.0.1:1'),
        '--kubeconfig',
        inject('kubeconfigPath'),
        '--format',
        'json',
        '-o',
        out,
      ]);
      expect(code).toBe(1);
      const r = JSON.parse(readFileSync(out, 'utf8')) as DriftReport;
      expect(r.status).toBe('unknown');
      expect(r.headline).toMatch(/^Drift unknown for cluster e2e-\w+: NetBox could not be read \(/);
    });
  });
});
