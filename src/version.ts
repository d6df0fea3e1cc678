import { readFileSync } from 'node:fs';

interface PackageJson {
  version: string;
}

function findPackageJson(): PackageJson {
  // src/version.ts runs from src/ (dev) or dist/src/ (built); package.json is one or two levels up.
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      return JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as PackageJson;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new Error('package.json not found next to the installed netbox-ippool-sync');
}

export const VERSION: string = findPackageJson().version;
