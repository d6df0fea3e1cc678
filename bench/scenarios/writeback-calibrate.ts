/**
 * Calibrates the emulator's latency model from real NetBox, measured anew in every run.
 *
 * How: on the real NetBox of the run (gunicorn, one web worker per core), with bodies shaped exactly like the
 * records writeback writes (createBody: our managed tag plus a cluster tag, the four custom fields, status and
 * description), one request at a time, it times a bulk POST, a bulk PATCH (one custom field) and a bulk DELETE
 * of 1, 10 and 50 objects of each model (IP addresses, prefixes, IP ranges) and fits
 *   time = latencyMs + latencyPerWrittenObjectMs × objects
 * by least squares over all those points. `workers` is the server's worker count. Then it sends the same 120
 * address creates as batches of 20 at 1, 2, 3 and 4 requests in flight and keeps the concurrency with the best
 * throughput (the smaller one when two are within 5 %): the writeback and the floor both use it. Last, list pages
 * of 1, 20 and 120 addresses give `latencyPerObjectMs` (per object a page returns), so reads cost as on real NetBox.
 * The records it leaves carry their own cluster tag outside every selected space, so no writeback sees them.
 */
import type { NetBoxClient } from '../../src/netbox/client/index.ts';
import { createBody } from '../../src/netbox/records.ts';
import type { DesiredRecord, RecordModel, WritebackSettings } from '../../src/writeback/types.ts';
import { ENDPOINTS } from './writeback-child.ts';

export interface CalibrationPoint {
  model: RecordModel;
  op: 'POST' | 'PATCH' | 'DELETE';
  objects: number;
  ms: number;
}

export interface Calibration {
  points: CalibrationPoint[];
  latencyMs: number;
  latencyPerWrittenObjectMs: number;
  /** Per operation: the slope of its own fit (ms per object). */
  perObjectByOp: Record<string, number>;
  workers: number;
  /** Per object a list page returns (GET of 1, 20 and 120 addresses). */
  latencyPerObjectMs: number;
  /** Throughput (objects/s) of bulk creates by requests in flight. */
  throughput: Record<number, number>;
  bestConcurrency: number;
}

/** Least squares of y = a + b x. */
export function fitLine(points: readonly { x: number; y: number }[]): { a: number; b: number } {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const b = sxx === 0 ? 0 : sxy / sxx;
  return { a: Math.max(0, my - b * mx), b: Math.max(0, b) };
}

function desired(model: RecordModel, i: number, owner: string): DesiredRecord {
  const base = { vrf: null, kind: 'whereabouts' as const, status: 'reserved', description: `calibration ${i}` };
  const common = { ...base, owner, pool: 'whereabouts:bench/calibration', via: 'calibration' };
  if (model === 'ip-address') {
    const space = `10.250.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    return { ...common, model, space, key: space, location: { address: `${space}/16` } };
  }
  if (model === 'prefix') {
    const space = `10.251.${Math.floor(i / 4)}.${(i % 4) * 64}/26`;
    return { ...common, model, space, key: space, location: { prefix: space } };
  }
  const a = `10.252.${Math.floor(i / 25)}.${(i % 25) * 10 + 1}`;
  const b = `10.252.${Math.floor(i / 25)}.${(i % 25) * 10 + 8}`;
  return {
    ...common,
    model,
    space: `${a}-${b}`,
    key: a,
    location: { start_address: `${a}/16`, end_address: `${b}/16` },
  };
}

interface Target {
  url: string;
  token: string;
}

async function send(
  t: Target,
  method: string,
  model: RecordModel,
  body: unknown,
): Promise<{ ms: number; json: unknown }> {
  const t0 = performance.now();
  const res = await fetch(`${t.url.replace(/\/+$/, '')}/api/${ENDPOINTS[model]}`, {
    method,
    headers: { Authorization: `Token ${t.token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(600_000),
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status >= 300) throw new Error(`calibration ${method} ${model}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return { ms, json: text === '' ? null : (JSON.parse(text) as unknown) };
}

export async function calibrate(o: {
  target: Target;
  client: NetBoxClient;
  settings: WritebackSettings;
  workers: number;
  sizes?: number[];
  log: (line: string) => void;
}): Promise<Calibration> {
  const tag = 'bench-calibration';
  if ((await o.client.listTags({ slug: tag })).length === 0) {
    await o.client.create('extras/tags', { name: tag, slug: tag });
  }
  const s: WritebackSettings = { ...o.settings, clusterTag: tag };
  const sizes = o.sizes ?? [1, 10, 50];
  const points: CalibrationPoint[] = [];
  for (const model of ['ip-address', 'prefix', 'ip-range'] as const) {
    let next = 0;
    for (const n of sizes) {
      const bodies = Array.from({ length: n }, () => createBody(desired(model, next++, 'bench/calibration'), s));
      const post = await send(o.target, 'POST', model, bodies);
      const ids = (post.json as { id: number }[]).map(r => r.id);
      points.push({ model, op: 'POST', objects: n, ms: post.ms });
      const patch = ids.map(id => ({ id, custom_fields: { [s.fields.owner]: 'bench/patched' } }));
      points.push({ model, op: 'PATCH', objects: n, ms: (await send(o.target, 'PATCH', model, patch)).ms });
      const del = ids.map(id => ({ id }));
      points.push({ model, op: 'DELETE', objects: n, ms: (await send(o.target, 'DELETE', model, del)).ms });
    }
  }
  const perObjectByOp: Record<string, number> = {};
  for (const op of ['POST', 'PATCH', 'DELETE']) {
    perObjectByOp[op] = fitLine(points.filter(p => p.op === op).map(p => ({ x: p.objects, y: p.ms }))).b;
  }

  // Requests in flight: the same creates, 6 batches of 20, at 1..4 at a time.
  const throughput: Record<number, number> = {};
  let next = 1000;
  for (const c of [1, 2, 3, 4]) {
    const batches = Array.from({ length: 6 }, () =>
      Array.from({ length: 20 }, () => createBody(desired('ip-address', next++, 'bench/probe'), s)),
    );
    let i = 0;
    const t0 = performance.now();
    const lane = async (): Promise<void> => {
      while (i < batches.length) await send(o.target, 'POST', 'ip-address', batches[i++]);
    };
    await Promise.all(Array.from({ length: c }, lane));
    throughput[c] = (120 / (performance.now() - t0)) * 1000;
  }
  const best = Math.max(...Object.values(throughput));

  // Reads: list pages of 1, 20 and 120 of the addresses just written (the server's cost per object returned).
  const reads: { x: number; y: number }[] = [];
  for (const limit of [1, 20, 120, 1, 20, 120]) {
    const t0 = performance.now();
    const res = await fetch(`${o.target.url.replace(/\/+$/, '')}/api/ipam/ip-addresses/?tag=${tag}&limit=${limit}`, {
      headers: { Authorization: `Token ${o.target.token}`, Accept: 'application/json' },
      signal: AbortSignal.timeout(600_000),
    });
    await res.text();
    reads.push({ x: limit, y: performance.now() - t0 });
  }
  const readFit = fitLine(reads);
  // The emulator charges latencyPerObjectMs for every object an answer carries (bulk POST and PATCH answer with
  // the objects, DELETE with nothing) on top of latencyPerWrittenObjectMs: take that share out before the fit.
  const fit = fitLine(points.map(p => ({ x: p.objects, y: p.ms - (p.op === 'DELETE' ? 0 : readFit.b * p.objects) })));
  const bestConcurrency = [1, 2, 3, 4].find(c => (throughput[c] ?? 0) >= best * 0.95) ?? 1;

  const cal: Calibration = {
    points,
    latencyMs: Math.round(fit.a * 10) / 10,
    latencyPerWrittenObjectMs: Math.round(fit.b * 100) / 100,
    latencyPerObjectMs: Math.round(readFit.b * 100) / 100,
    perObjectByOp,
    workers: o.workers,
    throughput,
    bestConcurrency,
  };
  o.log(
    `calibration (real NetBox): ${points.map(p => `${p.op} ${p.objects} ${p.model} ${p.ms.toFixed(0)} ms`).join('; ')}`,
  );
  o.log(
    `calibration fit: latencyMs ${cal.latencyMs}, latencyPerWrittenObjectMs ${cal.latencyPerWrittenObjectMs}, ` +
      `latencyPerObjectMs ${cal.latencyPerObjectMs} (read) ` +
      `(POST ${perObjectByOp['POST']?.toFixed(1)}, PATCH ${perObjectByOp['PATCH']?.toFixed(1)}, DELETE ` +
      `${perObjectByOp['DELETE']?.toFixed(1)} ms/object), workers ${cal.workers}; bulk-create throughput by requests ` +
      `in flight: ${Object.entries(throughput)
        .map(([c, t]) => `${c}: ${t.toFixed(1)}/s`)
        .join(', ')} → ${bestConcurrency}`,
  );
  return cal;
}
