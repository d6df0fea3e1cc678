import { liveCluster } from '../../src/k8s/cluster.ts';
import { randomBytes } from 'node:crypto';
import { createServer, connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../dev/process.ts';
import { KubeClient } from '../../src/k8s/client.ts';
import type { ApplyOptions } from '../../src/k8s/client.ts';
import { KubeUnavailableError } from '../../src/k8s/errors.ts';
import { ADAPTERS } from '../../src/kinds/registry.ts';
import { RESOURCES } from '../../src/kinds/resources.ts';
import type { K8sObject, ResourceType } from '../../src/model/k8s-object.ts';
import { NetBoxClient } from '../../src/netbox/client/index.ts';
import { fieldManagerFor } from '../../src/model/ownership.ts';
import { applyPlan } from '../../src/k8s/apply.ts';
import { runCycle } from '../../src/cycle.ts';
import { APPLIED_ACTIONS, observedOf } from '../../src/model/plan.ts';
import type { NoteChange } from '../../src/model/plan.ts';
import { prefixBody, startLab } from '../support/e2e.ts';
import type { Lab, LabOptions } from '../support/e2e.ts';
import {
  admin,
  adminApply,
  adminGet,
  adminKubeconfig,
  cycleWith,
  ensureNamespace,
  notApplied,
  POOL_TYPES,
  RecordingKubeClient,
  seedSixKinds,
  storedObjects,
  typePath,
} from './sync-support.ts';

/**
 * DESIGN.md §5 against the real apiserver and real NetBox (the emulator where faults are injected): unmanaged objects are never touched, a NetBox
 * outage or empty answer deletes nothing, the delete budget holds, bad NetBox input keeps the existing pool, one
 * object failing at the apiserver does not stop the others, a 409 is retried after a fresh read, a dead apiserver
 * ends the run without reporting anything it did not do, server dry-run stores nothing, and a steady state writes
 * nothing. Address space 100.72.0.0/16 and 100.74.0.0/16 (data only).
 */

const run = randomBytes(3).toString('hex');
const POOL = RESOURCES.calicoIpPool;

async function withLab<T>(opts: LabOptions, body: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await startLab(opts);
  try {
    return await body(lab);
  } finally {
    await lab.close();
  }
}

async function calicoPool(lab: Lab, cidr: string, name: string, cf: Record<string, unknown> = {}): Promise<number> {
  const body = prefixBody(lab, cidr, 'k8s-pod', { k8s_pool_name: name, ...cf });
  return (await lab.client.create<{ id: number }>('ipam/prefixes', body)).id;
}

function adminClient(): KubeClient {
  return new KubeClient({ kubeconfig: inject('kubeconfigPath') });
}

describe('unmanaged objects', () => {
  it('an unlabelled pool overlapping a NetBox pool, or holding its name, is reported and never touched', async () => {
    await withLab({}, async lab => {
      const c = lab.cluster;
      const foreign = (name: string, cidr: string): Promise<unknown> =>
        adminApply(typePath(POOL, undefined, name), {
          apiVersion: 'projectcalico.org/v3',
          kind: 'IPPool',
          metadata: { name },
          spec: { cidr, natOutgoing: true },
        });
      await foreign(`hand-made-${c}`, '100.72.10.0/25');
      await foreign(`taken-${c}`, '100.72.11.0/24');
      try {
        await calicoPool(lab, '100.72.10.0/24', `ours-${c}`);
        await calicoPool(lab, '100.72.11.0/24', `taken-${c}`);
        const before = await Promise.all([`hand-made-${c}`, `taken-${c}`].map(n => adminGet(POOL, n)));

        const result = await lab.cycle();
        expect(result.actions).toEqual([
          `create IPPool ours-${c}`,
          `unmanaged IPPool hand-made-${c}`,
          `unmanaged IPPool taken-${c}`,
        ]);
        expect(result.apply?.results.map(r => `${r.outcome} ${r.change.name}`)).toEqual([`applied ours-${c}`]);
        const after = await Promise.all([`hand-made-${c}`, `taken-${c}`].map(n => adminGet(POOL, n)));
        expect(after.map(o => o?.metadata.resourceVersion)).toEqual(before.map(o => o?.metadata.resourceVersion));
        expect(after.map(o => o?.metadata.labels)).toEqual([undefined, undefined]);
        // The next cycle reports them again and still writes nothing.
        const again = await lab.cycle();
        expect(again.writes).toBe(0);
        expect(again.plan.summary.unmanaged).toBe(2);
      } finally {
        for (const n of [`hand-made-${c}`, `taken-${c}`]) await admin('DELETE', typePath(POOL, undefined, n));
      }
    });
  });
});

describe('NetBox failures delete nothing', () => {
  /** Each outage starts after the pools exist; it returns the NetBox reader the cycle uses (default: the lab's). */
  it.each<[string, (lab: Lab) => Promise<NetBoxClient> | undefined]>([
    ['every request answers 503', lab => void lab.emulator.setKnobs({ errorRate: 1 })],
    ['the next requests fail', lab => void lab.emulator.setKnobs({ failNext: 1000 })],
    [
      'NetBox stops answering',
      lab => {
        lab.emulator.setKnobs({ hangNext: 1000 });
        return Promise.resolve(
          new NetBoxClient({ url: lab.netbox.url, token: lab.netbox.tokens.v1, maxRetries: 0, timeoutMs: 300 }),
        );
      },
    ],
    [
      'NetBox is unreachable',
      async lab =>
        new NetBoxClient({ url: `http://127.0.0.1:${await freePort()}`, token: lab.netbox.tokens.v1, maxRetries: 0 }),
    ],
  ])('%s: source unhealthy, zero deletes, pools still there', async (_, outage) => {
    // Faults are injected, so this lab runs on an emulator of its own.
    await withLab({ netbox: 'emulator' }, async lab => {
      const c = lab.cluster;
      await calicoPool(lab, '100.72.12.0/24', `a-${c}`);
      await calicoPool(lab, '100.72.13.0/24', `b-${c}`);
      const kube = adminClient();
      try {
        expect(notApplied(await cycleWith(lab, kube))).toEqual([]);
        const stored = await storedObjects(c);
        expect(stored.size).toBe(2);

        const deadClient = await outage(lab);
        const during = await cycleWith(lab, kube, {}, deadClient ?? lab.client);
        lab.emulator.setKnobs({ errorRate: 0, failNext: 0, hangNext: 0 });
        expect(during.source.healthy).toBe(false);
        expect(during.source.reason).toBeTruthy();
        expect(during.writes).toBe(0);
        expect(during.apply?.results).toEqual([]);
        expect(during.plan.guards.map(g => g.guard)).toEqual(['empty-source']);
        expect(during.actions).toEqual([`blocked IPPool a-${c}`, `blocked IPPool b-${c}`]);
        expect(await storedObjects(c)).toEqual(stored);
        // Once NetBox answers again the pools are simply still in sync.
        expect((await cycleWith(lab, kube)).writes).toBe(0);
      } finally {
        kube.close();
      }
    });
  });

  it('an empty answer trips the empty-source guard; allowEmptySource lets the deletes through', async () => {
    await withLab({}, async lab => {
      const c = lab.cluster;
      const untagged = await calicoPool(lab, '100.72.14.0/24', `a-${c}`);
      const deleted = await calicoPool(lab, '100.72.15.0/24', `b-${c}`);
      expect(notApplied(await lab.cycle())).toEqual([]);
      const stored = await storedObjects(c);

      await lab.client.update('ipam/prefixes', untagged, { tags: [] });
      await lab.client.delete('ipam/prefixes', deleted);
      const empty = await lab.cycle();
      expect(empty.source.healthy).toBe(true);
      expect(empty.writes).toBe(0);
      const guard = empty.plan.guards.find(g => g.guard === 'empty-source');
      expect(guard?.reason).toContain('NetBox returned no pools');
      expect(guard?.objects).toHaveLength(2);
      expect(await storedObjects(c)).toEqual(stored);
      // The guard keeps tripping: a tripped run is not remembered as "NetBox has no pools now".
      expect((await lab.cycle()).writes).toBe(0);

      const allowed = await lab.cycle({ allowEmptySource: true });
      expect(allowed.apply?.results.map(r => `${r.outcome} ${r.change.action} ${r.change.name}`)).toEqual([
        `applied delete a-${c}`,
        `applied delete b-${c}`,
      ]);
      expect((await storedObjects(c)).size).toBe(0);
    });
  });

  it('more deletes than the budget allows: none deleted, the guard says why', async () => {
    await withLab({ deleteBudget: { maxCount: 2 } }, async lab => {
      const c = lab.cluster;
      const ids = [];
      for (let i = 0; i < 4; i++) ids.push(await calicoPool(lab, `100.72.${16 + i}.0/24`, `p${i}-${c}`));
      expect(notApplied(await lab.cycle())).toEqual([]);
      const stored = await storedObjects(c);
      for (const id of ids.slice(0, 3)) await lab.client.delete('ipam/prefixes', id);

      const result = await lab.cycle();
      expect(result.writes).toBe(0);
      const guard = result.plan.guards.find(g => g.guard === 'delete-budget');
      expect(guard?.reason).toMatch(/delete budget exceeded: 3 removals planned .* at most 2 per cycle/);
      expect(guard?.objects).toHaveLength(3);
      expect(await storedObjects(c)).toEqual(stored);
    });
  });
});

describe('bad NetBox input is contained', () => {
  it('an invalid object yields an invalid entry and its existing pool stays as it is; others still sync', async () => {
    await withLab({}, async lab => {
      const c = lab.cluster;
      const ids = {
        blockSize: await calicoPool(lab, '100.72.30.0/24', `bs-${c}`),
        options: await calicoPool(lab, '100.72.31.0/24', `opt-${c}`),
        selector: await calicoPool(lab, '100.72.32.0/24', `sel-${c}`),
        fine: await calicoPool(lab, '100.72.33.0/24', `fine-${c}`),
      };
      expect(notApplied(await lab.cycle())).toEqual([]);
      const stored = await storedObjects(c);

      const set = (id: number, cf: Record<string, unknown>) =>
        lab.client.update('ipam/prefixes', id, { custom_fields: cf });
      await set(ids.blockSize, { k8s_block_size: 99 });
      await set(ids.options, { k8s_options: '{"natOutgoing": fals' });
      await set(ids.selector, { k8s_node_selector: 'zone in (a' });
      await set(ids.fine, { k8s_options: { natOutgoing: false } });
      const result = await lab.cycle();

      const invalid = result.plan.changes.filter((ch): ch is NoteChange => ch.action === 'invalid');
      expect(invalid.map(ch => ch.issue?.field)).toEqual(
        expect.arrayContaining([
          'custom_fields.k8s_block_size',
          'custom_fields.k8s_options',
          'custom_fields.k8s_node_selector',
        ]),
      );
      // Each bad pool gets an invalid entry (and its NetBox object one naming the field) and is kept, not deleted.
      for (const name of [`bs-${c}`, `opt-${c}`, `sel-${c}`]) {
        expect(invalid.map(ch => ch.name)).toContain(name);
        expect(result.actions).toContain(`blocked IPPool ${name}`);
      }
      expect(invalid.filter(ch => ch.name.includes(`fine-${c}`) || ch.sources.some(s => s.id === ids.fine))).toEqual(
        [],
      );
      expect(result.actions.filter(a => /^(delete|replace|update|drain) /.test(a))).toEqual([
        `update IPPool fine-${c}`,
      ]);
      expect(notApplied(result)).toEqual([]);

      const after = await storedObjects(c);
      for (const name of [`bs-${c}`, `opt-${c}`, `sel-${c}`]) {
        expect(after.get(`IPPool ${name}`), name).toBe(stored.get(`IPPool ${name}`));
      }
      expect(after.get(`IPPool fine-${c}`)).not.toBe(stored.get(`IPPool fine-${c}`));
      expect((await adminGet(POOL, `fine-${c}`))?.spec).toMatchObject({ natOutgoing: false });
    });
  });
});

describe('apiserver failures', () => {
  it('an object the apiserver refuses is recorded against it; the rest of the run is applied', async () => {
    // Our own validation catches what the CRDs would refuse, so the refusal comes from where it does in real
    // clusters: admission. A ValidatingAdmissionPolicy (CEL, in the apiserver) stands in for an IPAM system's
    // validating webhook and refuses one pool with 422 Invalid.
    const policy = `refuse-pod-pools-${run}`;
    await adminApply(`/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/${policy}`, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: policy },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: ['cilium.io'],
              apiVersions: ['*'],
              operations: ['CREATE', 'UPDATE'],
              resources: ['ciliumpodippools'],
            },
          ],
        },
        validations: [
          {
            expression: `!object.metadata.name.startsWith('refused-')`,
            message: 'pool refused by cluster policy',
            reason: 'Invalid',
          },
        ],
      },
    });
    await adminApply(`/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/${policy}`, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: policy },
      spec: { policyName: policy, validationActions: ['Deny'] },
    });
    try {
      await waitForPolicy(`refused-probe-${run}`);
      await withLab({}, async lab => {
        const c = lab.cluster;
        const missing = `nbs-missing-${run}`;
        await lab.client.create(
          'ipam/prefixes',
          prefixBody(lab, '100.72.20.0/22', 'k8s-pod', { k8s_pool_kind: 'cilium-pod', k8s_pool_name: `refused-${c}` }),
        );
        await lab.client.create(
          'ipam/prefixes',
          prefixBody(lab, '100.72.24.0/24', 'k8s-secondary', { k8s_pool_name: `lost-${c}`, k8s_namespace: missing }),
        );
        await calicoPool(lab, '100.72.25.0/24', `good-${c}`);

        const result = await lab.cycle();
        const outcomes = result.apply?.results.map(r => `${r.outcome} ${r.change.kind ?? ''} ${r.change.name}`);
        // Failures come first in plan order, so the applied pool proves the run went on after them.
        expect(outcomes).toEqual([
          `failed CiliumPodIPPool refused-${c}`,
          `failed NetworkAttachmentDefinition lost-${c}`,
          `applied IPPool good-${c}`,
        ]);
        expect(result.apply?.aborted).toBeUndefined();
        const [refused, lost] = result.apply?.results ?? [];
        expect(refused?.message).toMatch(/422 Invalid/);
        expect(refused?.message).toContain('pool refused by cluster policy');
        expect(lost?.message).toMatch(/404 NotFound/);
        expect(lost?.message).toContain(missing);
        expect([...(await storedObjects(c)).keys()]).toEqual([`IPPool good-${c}`]);
      });
    } finally {
      await admin('DELETE', `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/${policy}`);
      await admin('DELETE', `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/${policy}`);
    }
  });

  it('409: an object changed between observe and apply is re-read and the update converges', async () => {
    await withLab({}, async lab => {
      const c = lab.cluster;
      const id = await calicoPool(lab, '100.72.26.0/24', `raced-${c}`);
      expect(notApplied(await lab.cycle())).toEqual([]);
      await lab.client.update('ipam/prefixes', id, { custom_fields: { k8s_options: { natOutgoing: false } } });

      const kube = new RecordingKubeClient({ kubeconfig: inject('kubeconfigPath') });
      try {
        const planned = await runCycle(
          { config: lab.config, netbox: lab.client, adapters: ADAPTERS, ...liveCluster(kube) },
          { apply: false },
        );
        expect(planned.plan.changes.map(ch => `${ch.action} ${ch.name}`)).toEqual([`update raced-${c}`]);
        const first = planned.plan.changes[0];
        const observedVersion = first === undefined ? undefined : observedOf(first)?.metadata.resourceVersion;
        // Someone else writes the object in between (another field manager, another label).
        await admin(
          'PATCH',
          typePath(POOL, undefined, `raced-${c}`),
          { metadata: { labels: { touched: 'yes' } } },
          {
            contentType: 'application/merge-patch+json',
          },
        );
        kube.calls.length = 0;
        const report = await applyPlan(kube, planned.plan, ADAPTERS, { fieldManager: fieldManagerFor(lab.cluster) });
        expect(report.results.map(r => r.outcome)).toEqual(['applied']);
        expect(kube.calls.map(x => x.verb)).toEqual(['patch', 'get', 'patch']);

        const stored = await adminGet(POOL, `raced-${c}`);
        expect(stored?.metadata.resourceVersion).not.toBe(observedVersion);
        expect(stored?.spec).toMatchObject({ natOutgoing: false });
        expect(stored?.metadata.labels?.['touched']).toBe('yes');
        expect((await lab.cycle()).writes).toBe(0);
      } finally {
        kube.close();
      }
    });
  });

  it('an unreachable apiserver ends the cycle with KubeUnavailableError before anything is planned', async () => {
    await withLab({}, async lab => {
      await calicoPool(lab, '100.72.27.0/24', `never-${lab.cluster}`);
      const kube = new KubeClient({ kubeconfigYaml: adminKubeconfig(`https://127.0.0.1:${await freePort()}`) });
      try {
        const err = await cycleWith(lab, kube).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(KubeUnavailableError);
        expect(kube.writeCount()).toBe(0);
      } finally {
        kube.close();
      }
      expect((await storedObjects(lab.cluster)).size).toBe(0);
    });
  });

  it('the apiserver going away mid-apply stops the run: what was not done is not reported as done', async () => {
    const apiserver = new URL(inject('kubeServer'));
    const proxy = await tcpProxy(Number(apiserver.port));
    /** Cuts the connection right after the first write succeeds. */
    class DiesAfterFirstWrite extends KubeClient {
      override async apply(rt: ResourceType, obj: K8sObject, opts?: ApplyOptions): Promise<K8sObject> {
        const out = await super.apply(rt, obj, opts);
        proxy.kill();
        return out;
      }
      // A create is a POST of its own (it cannot overwrite an object someone else made).
      override async create(rt: ResourceType, obj: K8sObject, opts?: ApplyOptions): Promise<K8sObject> {
        const out = await super.create(rt, obj, opts);
        proxy.kill();
        return out;
      }
    }
    await withLab({}, async lab => {
      const c = lab.cluster;
      for (const i of [1, 2, 3]) await calicoPool(lab, `100.72.${40 + i}.0/24`, `p${i}-${c}`);
      const kube = new DiesAfterFirstWrite({ kubeconfigYaml: adminKubeconfig(`https://127.0.0.1:${proxy.port}`) });
      try {
        // One write at a time, so that "after the first write" leaves exactly one done, one failed, one not tried.
        // (Set on the lab itself: spreading a lab reads its `emulator` getter, which throws on real NetBox.)
        lab.config = { ...lab.config, apply: { ...lab.config.apply, concurrency: 1 } };
        const result = await cycleWith(lab, kube);
        expect(result.apply?.results.map(r => `${r.outcome} ${r.change.name}`)).toEqual([
          `applied p1-${c}`,
          `failed p2-${c}`,
          `not-attempted p3-${c}`,
        ]);
        expect(result.apply?.aborted).toContain('Kubernetes API unavailable');
        expect(result.apply?.results[2]?.message).toContain('not attempted');
      } finally {
        kube.close();
        proxy.kill();
      }
      expect([...(await storedObjects(c)).keys()]).toEqual([`IPPool p1-${c}`]);
    });
  });
});

describe('server dry-run and idempotency, all six kinds', () => {
  const ns = `safety-${run}`;
  const team = `safety-${run}-team`;
  let lab: Lab;
  beforeAll(async () => {
    for (const name of ['metallb-system', ns, team]) await ensureNamespace(name);
    lab = await startLab();
  });
  // Namespace annotation records are not per cluster: leave the shared apiserver without ours (see the report).
  afterAll(async () => {
    try {
      for (const endpoint of ['ipam/prefixes', 'ipam/ip-ranges']) {
        const left = await lab.client.list<{ id: number }>(endpoint, { tag: lab.clusterTag });
        for (const { id } of left) await lab.client.delete(endpoint, id);
      }
      const cleanup = await lab.cycle({ allowEmptySource: true });
      if (notApplied(cleanup).length > 0) throw new Error(`cleanup failed: ${notApplied(cleanup).join('; ')}`);
      const teamNs = (await admin('GET', `/api/v1/namespaces/${team}`)).json<K8sObject>();
      if (Object.keys(teamNs.metadata.annotations ?? {}).length > 0) {
        throw new Error(`cleanup left annotations on ${team}: ${JSON.stringify(teamNs.metadata.annotations)}`);
      }
    } finally {
      await lab.close();
    }
  });

  it('--server-dry-run: the apiserver validates every change, reports them applied, stores nothing', async () => {
    const seeded = await seedSixKinds(lab, '100.74', ns, team);
    const dry = await lab.cycle({ serverDryRun: true });
    expect(dry.apply?.serverDryRun).toBe(true);
    expect(dry.actions.filter(a => APPLIED_ACTIONS.some(x => a.startsWith(`${x} `))).sort()).toEqual(
      [...seeded.creates].sort(),
    );
    expect(notApplied(dry)).toEqual([]);
    expect((await storedObjects(lab.cluster)).size).toBe(0);
    const teamNs = (await admin('GET', `/api/v1/namespaces/${team}`)).json<K8sObject>();
    expect(teamNs.metadata.annotations ?? {}).toEqual({});

    const real = await lab.cycle();
    expect(notApplied(real)).toEqual([]);
    expect(real.apply?.results).toHaveLength(seeded.creates.length);
    expect((await storedObjects(lab.cluster)).size).toBe(seeded.creates.length - 1); // the namespace is not labelled

    // A dry-run delete is validated too, and deletes nothing.
    await lab.client.delete(seeded.netbox.ciliumLb.endpoint, seeded.netbox.ciliumLb.id);
    const dryDelete = await lab.cycle({ serverDryRun: true });
    expect(dryDelete.apply?.results.map(r => `${r.outcome} ${r.change.action} ${r.change.name}`)).toEqual([
      `applied delete ${seeded.names.ciliumLb}`,
    ]);
    expect(await adminGet(POOL_TYPES.ciliumLb, seeded.names.ciliumLb)).not.toBeNull();
    expect(notApplied(await lab.cycle())).toEqual([]);
    expect(await adminGet(POOL_TYPES.ciliumLb, seeded.names.ciliumLb)).toBeNull();
  });

  it('a second cycle with nothing changed sends zero write requests and reports nothing to apply', async () => {
    const again = await lab.cycle();
    expect(again.writes).toBe(0);
    expect(again.requests['apply'] ?? 0).toBe(0);
    expect(again.apply?.results).toEqual([]);
    expect(again.plan.changes.filter(ch => APPLIED_ACTIONS.includes(ch.action))).toEqual([]);
    expect(again.intents).toHaveLength(6);
  });
});

/** A TCP proxy in front of the apiserver (TLS passes through untouched), to pull the plug at a chosen moment. */
async function tcpProxy(target: number): Promise<{ port: number; kill(): void }> {
  const sockets = new Set<Socket>();
  const server = createServer(client => {
    const upstream = connect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      // One side failing (the plug was pulled) ends the pair; the client sees the cut, which is the point.
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let open = true;
  return {
    port,
    kill() {
      if (open) server.close();
      open = false;
      for (const s of sockets) s.destroy();
    },
  };
}

/** Policies take effect once the apiserver's policy informer has them: probe with a dry-run create until refused. */
async function waitForPolicy(probeName: string): Promise<void> {
  const path = `${typePath(RESOURCES.ciliumPodPool)}?dryRun=All`;
  const body = {
    apiVersion: 'cilium.io/v2alpha1',
    kind: 'CiliumPodIPPool',
    metadata: { name: probeName },
    spec: { ipv4: { cidrs: ['100.72.100.0/24'], maskSize: 28 } },
  };
  for (let i = 0; i < 100; i++) {
    const res = await admin('POST', path, body, { ok: [201, 422] });
    if (res.status === 422) return;
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error('the ValidatingAdmissionPolicy never took effect');
}
