/**
 * How many requests, and how long, the NetBox client needs to read 10,000 prefixes and to create 5,000 IP
 * addresses, against the emulator with a per-request latency (default 5 ms, like a NetBox on the same LAN).
 * Prints numbers; asserts nothing.  Run: node bench/netbox-requests.ts [latencyMs]
 */
import { startEmulator } from '../dev/netbox-emulator/index.ts';
import { ipAddressBodies, prefixSeed } from '../dev/seed/generate.ts';
import { NetBoxClient } from '../src/netbox/client/index.ts';

const latencyMs = Number(process.argv[2] ?? 5);
const emu = await startEmulator({ seed: prefixSeed(10_000), knobs: { latencyMs } });
try {
  const client = new NetBoxClient({ url: emu.url, token: emu.tokens.v1 });
  const measure = async (what: string, fn: () => Promise<number>): Promise<void> => {
    emu.resetStats();
    const t0 = performance.now();
    const n = await fn();
    const ms = performance.now() - t0;
    const stats = emu.stats();
    console.log(
      `${what.padEnd(34)} ${String(n).padStart(6)} objects  ${String(stats.total).padStart(4)} requests  ${ms.toFixed(0).padStart(6)} ms`,
    );
  };
  console.log(
    `NetBox emulator, ${latencyMs} ms latency per request, client defaults (page 1000, batch 100, 4 in flight)`,
  );
  await measure(
    'read 10,000 prefixes',
    async () => (await client.listPrefixes({ role: 'k8s-pod', tag: 'k8s-lab' })).length,
  );
  await measure(
    'create 5,000 IP addresses',
    async () => (await client.ipAddresses.create(ipAddressBodies(5000))).succeeded.length,
  );
  const big = new NetBoxClient({ url: emu.url, token: emu.tokens.v1, batchSize: 1000 });
  emu.reset();
  emu.seed(prefixSeed(10_000));
  await measure(
    'create 5,000 IP addresses (batch 1000)',
    async () => (await big.ipAddresses.create(ipAddressBodies(5000))).succeeded.length,
  );
} finally {
  await emu.close();
}
