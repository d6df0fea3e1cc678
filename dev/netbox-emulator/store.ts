/**
 * In-memory tables, one per endpoint, plus the change log. Rows are immutable once stored, so a snapshot is a
 * shallow copy of each table; bulk writes take one and restore it on failure (all-or-none, like NetBox's
 * transaction). Ids are never reused after a rollback, as PostgreSQL sequences are not rolled back either.
 */
import { ENDPOINTS } from './types.ts';
import type { Endpoint, Row } from './types.ts';

export type ChangeAction = 'create' | 'update' | 'delete';

/** One entry of NetBox's change log (core.ObjectChange), minus the fields nobody here reads. */
export interface ChangeRecord {
  id: number;
  time: string;
  request_id: string;
  user_name: string;
  action: ChangeAction;
  changed_object_type: string;
  changed_object_id: number;
  object_repr: string;
  message: string;
  prechange_data: Record<string, unknown> | null;
  postchange_data: Record<string, unknown> | null;
}

export interface StoreSnapshot {
  tables: Map<Endpoint, Map<number, Row>>;
  changelogLength: number;
}

/** Maps a row to the key it is indexed under (undefined: not indexed). */
export type IndexKey = (row: Row) => string | undefined;

interface Index {
  ep: Endpoint;
  key: IndexKey;
  map: Map<string, Set<number>>;
}

export class Store {
  private tables = new Map<Endpoint, Map<number, Row>>();
  /** Secondary indexes for the per-write lookups (duplicates, unique fields), kept up to date on every write. */
  private indexes = new Map<string, Index>();
  private nextIds = new Map<Endpoint, number>();
  private changeSeq = 0;
  /** Bumped on every write; derived data (prefix depth, counts) is cached per version. */
  version = 0;
  changelog: ChangeRecord[] = [];

  constructor() {
    this.reset();
  }

  /** Forgets every object, the change log and the id sequences. */
  reset(): void {
    this.tables = new Map(ENDPOINTS.map(ep => [ep, new Map<number, Row>()]));
    this.nextIds = new Map(ENDPOINTS.map(ep => [ep, 1]));
    this.changelog = [];
    this.changeSeq = 0;
    this.indexes.clear();
    this.version++;
  }

  private table(ep: Endpoint): Map<number, Row> {
    const t = this.tables.get(ep);
    if (!t) throw new Error(`no table for endpoint ${ep}; known endpoints: ${ENDPOINTS.join(', ')}`);
    return t;
  }

  /** Every row of an endpoint in id order (ids only grow and Map keeps insertion order). */
  all(ep: Endpoint): Row[] {
    return [...this.table(ep).values()];
  }

  get(ep: Endpoint, id: number): Row | undefined {
    return this.table(ep).get(id);
  }

  count(ep: Endpoint): number {
    return this.table(ep).size;
  }

  allocateId(ep: Endpoint): number {
    const id = this.nextIds.get(ep) ?? 1;
    this.nextIds.set(ep, id + 1);
    return id;
  }

  put(ep: Endpoint, row: Row): void {
    const old = this.table(ep).get(row.id);
    this.table(ep).set(row.id, row);
    this.reindex(ep, old, row);
    this.version++;
  }

  remove(ep: Endpoint, id: number): void {
    const old = this.table(ep).get(id);
    this.table(ep).delete(id);
    this.reindex(ep, old, undefined);
    this.version++;
  }

  /** Rows whose `key` (named `name`; the same name must always come with the same function) equals `value`. */
  lookup(ep: Endpoint, name: string, key: IndexKey, value: string): Row[] {
    const indexName = `${ep}:${name}`;
    let index = this.indexes.get(indexName);
    if (!index) {
      index = { ep, key, map: new Map() };
      for (const row of this.table(ep).values()) addToIndex(index, row);
      this.indexes.set(indexName, index);
    }
    const table = this.table(ep);
    return [...(index.map.get(value) ?? [])].map(id => table.get(id)).filter((r): r is Row => r !== undefined);
  }

  private reindex(ep: Endpoint, old: Row | undefined, next: Row | undefined): void {
    for (const index of this.indexes.values()) {
      if (index.ep !== ep) continue;
      if (old) {
        const k = index.key(old);
        if (k !== undefined) index.map.get(k)?.delete(old.id);
      }
      if (next) addToIndex(index, next);
    }
  }

  record(change: Omit<ChangeRecord, 'id'>): void {
    this.changeSeq++;
    this.changelog.push({ id: this.changeSeq, ...change });
  }

  snapshot(): StoreSnapshot {
    const tables = new Map<Endpoint, Map<number, Row>>();
    for (const [ep, t] of this.tables) tables.set(ep, new Map(t));
    return { tables, changelogLength: this.changelog.length };
  }

  restore(s: StoreSnapshot): void {
    this.tables = new Map([...s.tables].map(([ep, t]) => [ep, new Map(t)]));
    this.changelog = this.changelog.slice(0, s.changelogLength);
    this.indexes.clear();
    this.version++;
  }
}

function addToIndex(index: Index, row: Row): void {
  const k = index.key(row);
  if (k === undefined) return;
  const ids = index.map.get(k);
  if (ids) ids.add(row.id);
  else index.map.set(k, new Set([row.id]));
}
