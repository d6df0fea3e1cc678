import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';

/** Absolute path of dev/crds: one CustomResourceDefinition per `<plural>.<group>.yaml` file. */
export const CRD_DIR = dirname(fileURLToPath(import.meta.url));

const crdVersion = z.looseObject({
  name: z.string().min(1),
  served: z.boolean(),
  storage: z.boolean(),
});

// Loose: the whole manifest (schema, subresources, ...) must survive so the harness can apply it as is.
const crdManifest = z.looseObject({
  apiVersion: z.literal('apiextensions.k8s.io/v1'),
  kind: z.literal('CustomResourceDefinition'),
  metadata: z.looseObject({ name: z.string().min(1) }),
  spec: z.looseObject({
    group: z.string().min(1),
    names: z.looseObject({ plural: z.string().min(1), kind: z.string().min(1) }),
    scope: z.enum(['Namespaced', 'Cluster']),
    versions: z.array(crdVersion).min(1),
  }),
});

/** The parts of a CRD manifest the harness and tests look at; every other field is kept untyped. */
export type CrdManifest = z.infer<typeof crdManifest>;

/** One group/version the API server must serve, with the resources expected in its discovery document. */
export interface ServedGroupVersion {
  group: string;
  version: string;
  plurals: string[];
}

/** Parses one CRD file; throws naming the file and what is wrong with it. */
export function parseCrdFile(path: string): CrdManifest {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  if (!Array.isArray(docs) || docs.length !== 1) {
    throw new Error(`CRD file ${path}: expected exactly one YAML document; keep one CRD per file`);
  }
  const doc = docs[0]!;
  if (doc.errors.length > 0) {
    throw new Error(`CRD file ${path}: YAML syntax error: ${doc.errors.map(e => e.message).join('; ')}`);
  }
  const parsed = crdManifest.safeParse(doc.toJS());
  if (!parsed.success) {
    const issues = parsed.error.issues.map(i => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`CRD file ${path}: not an apiextensions.k8s.io/v1 CustomResourceDefinition (${issues})`);
  }
  return parsed.data;
}

/** Every CRD in CRD_DIR, sorted by file name so installs are deterministic. */
export function loadCrds(dir: string = CRD_DIR): CrdManifest[] {
  return readdirSync(dir)
    .filter(f => f.endsWith('.yaml'))
    .sort()
    .map(f => parseCrdFile(join(dir, f)));
}

/** Served group/versions with their plurals, sorted, for waiting on discovery after installing the CRDs. */
export function servedGroupVersions(crds: readonly CrdManifest[]): ServedGroupVersion[] {
  const byGroupVersion = new Map<string, ServedGroupVersion>();
  for (const crd of crds) {
    for (const v of crd.spec.versions) {
      if (!v.served) continue;
      const key = `${crd.spec.group}/${v.name}`;
      const entry = byGroupVersion.get(key) ?? { group: crd.spec.group, version: v.name, plurals: [] };
      if (!entry.plurals.includes(crd.spec.names.plural)) entry.plurals.push(crd.spec.names.plural);
      byGroupVersion.set(key, entry);
    }
  }
  return [...byGroupVersion.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, gv]) => ({ ...gv, plurals: [...gv.plurals].sort() }));
}
