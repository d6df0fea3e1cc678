import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATABASE } from './postgres.ts';

/**
 * NetBox's configuration the way its PyPI package (wheel mode) expects it: `$NETBOX_ROOT/conf/configuration.py`
 * (NETBOX_ROOT defaults to /opt/netbox, so we always set it), read by the `netbox` console script (which stands in
 * for manage.py), by gunicorn's `netbox.wsgi` and by `netbox rqworker`.
 */
export interface NetBoxSettings {
  pgPort: number;
  redisHost: string;
  redisPort: number;
  secretKey: string;
  /** API_TOKEN_PEPPERS[1]: v2 tokens are stored as HMACs with it, so it belongs to the template database. */
  pepper: string;
}

const py = (s: string): string => JSON.stringify(s); // a JSON string is a valid Python string literal

export function configurationPy(s: NetBoxSettings): string {
  const redis = (db: number) =>
    `{'HOST': ${py(s.redisHost)}, 'PORT': ${s.redisPort}, 'USERNAME': '', 'PASSWORD': '', 'DATABASE': ${db}, 'SSL': False}`;
  return `# Written by dev/netbox-real (netbox-ippool-sync test harness) for one run; not for production.
ALLOWED_HOSTS = ['*']
DATABASES = {
    'default': {
        'ENGINE': 'django.db.backends.postgresql',
        'NAME': ${py(DATABASE)},
        'USER': 'postgres',
        'PASSWORD': '',
        'HOST': '127.0.0.1',
        'PORT': '${s.pgPort}',
        'CONN_MAX_AGE': 300,
        # A reset drops the database under NetBox's feet; Django must notice and reconnect.
        'CONN_HEALTH_CHECKS': True,
    }
}
REDIS = {
    'tasks': ${redis(0)},
    'caching': ${redis(1)},
}
SECRET_KEY = ${py(s.secretKey)}
API_TOKEN_PEPPERS = {1: ${py(s.pepper)}}
# No outbound calls from a test machine.
ISOLATED_DEPLOYMENT = True
CENSUS_REPORTING_ENABLED = False
RELEASE_CHECK_URL = None
TIME_ZONE = 'UTC'
`;
}

/** Writes `<root>/conf/configuration.py` and returns the environment NetBox's commands run with. */
export function writeConfiguration(root: string, s: NetBoxSettings): NodeJS.ProcessEnv {
  mkdirSync(join(root, 'conf'), { recursive: true });
  writeFileSync(join(root, 'conf', 'configuration.py'), configurationPy(s), { mode: 0o600 });
  return netboxEnv(root);
}

export function netboxEnv(root: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NETBOX_ROOT: root, PYTHONUNBUFFERED: '1' };
  // Ours must win over a configuration module a developer may have exported.
  delete env['NETBOX_CONFIGURATION'];
  delete env['DJANGO_SETTINGS_MODULE'];
  return env;
}
