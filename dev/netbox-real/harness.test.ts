import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configurationPy, writeConfiguration } from './config.ts';
import { NETBOX_VERSION, netboxCacheDir } from './install.ts';
import { withFileLock } from './lock.ts';

/** The parts of the real-NetBox harness that need neither Python nor PostgreSQL. */

const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'nbsync-harness-test-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('configuration.py', () => {
  const settings = {
    pgPort: 5433,
    redisHost: '127.0.0.1',
    redisPort: 6380,
    secretKey: 'k"\'\\'.repeat(20),
    pepper: 'p'.repeat(60),
  };

  it('has what NetBox requires, with the run’s ports and strings quoted safely', () => {
    const py = configurationPy(settings);
    for (const name of ['ALLOWED_HOSTS', 'DATABASES', 'REDIS', 'SECRET_KEY', 'API_TOKEN_PEPPERS']) {
      expect(py).toMatch(new RegExp(`^${name} = `, 'm'));
    }
    expect(py).toContain("'PORT': '5433'");
    expect(py).toContain("'CONN_HEALTH_CHECKS': True");
    expect(py).toContain("'PORT': 6380, 'USERNAME': '', 'PASSWORD': '', 'DATABASE': 0");
    expect(py).toContain("'PORT': 6380, 'USERNAME': '', 'PASSWORD': '', 'DATABASE': 1");
    expect(py).toContain(`SECRET_KEY = ${JSON.stringify(settings.secretKey)}`);
    expect(py).toContain('ISOLATED_DEPLOYMENT = True');
    expect(py).toContain('CENSUS_REPORTING_ENABLED = False');
  });

  it('goes where the PyPI package looks for it and overrides an exported configuration module', () => {
    const root = scratch();
    const before = process.env['NETBOX_CONFIGURATION'];
    process.env['NETBOX_CONFIGURATION'] = 'somebody.elses';
    try {
      const env = writeConfiguration(root, settings);
      expect(env['NETBOX_ROOT']).toBe(root);
      expect(env['NETBOX_CONFIGURATION']).toBeUndefined();
      expect(readFileSync(join(root, 'conf', 'configuration.py'), 'utf8')).toBe(configurationPy(settings));
    } finally {
      if (before === undefined) delete process.env['NETBOX_CONFIGURATION'];
      else process.env['NETBOX_CONFIGURATION'] = before;
    }
  });
});

describe('cache folder', () => {
  it('is keyed by the pinned version', () => {
    expect(NETBOX_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect(netboxCacheDir()).toMatch(new RegExp(`/netbox-ippool-sync/netbox-${NETBOX_VERSION.replace(/\./g, '\\.')}$`));
  });
});

describe('withFileLock', () => {
  it('runs one holder at a time and removes the lock afterwards', async () => {
    const lock = join(scratch(), 'x.lock');
    const order: string[] = [];
    const work = (name: string) =>
      withFileLock(lock, name, async () => {
        order.push(`${name} in`);
        await new Promise(r => setTimeout(r, 300));
        order.push(`${name} out`);
      });
    await Promise.all([work('a'), new Promise(r => setTimeout(r, 50)).then(() => work('b'))]);
    expect(order).toEqual(['a in', 'a out', 'b in', 'b out']);
    expect(existsSync(lock)).toBe(false);
  }, 10_000);

  it('takes over the lock of a process that is gone', async () => {
    const lock = join(scratch(), 'x.lock');
    writeFileSync(lock, '999999999\n'); // no such pid
    const lines: string[] = [];
    expect(await withFileLock(lock, 'template', () => Promise.resolve(42), { log: l => lines.push(l) })).toBe(42);
    expect(lines.join('\n')).toContain('taking over the lock of pid 999999999');
  });

  it('gives up after its timeout while a live process holds the lock', async () => {
    const lock = join(scratch(), 'x.lock');
    writeFileSync(lock, `${process.ppid}\n`);
    await expect(withFileLock(lock, 'template', () => Promise.resolve(1), { timeoutMs: 100 })).rejects.toThrow(
      /gave up waiting/,
    );
    expect(readFileSync(lock, 'utf8').trim()).toBe(String(process.ppid));
  });
});
