import type { BootstrapApi } from '../../src/netbox/bootstrap/bootstrap.ts';
import { NetBoxAuthError, NetBoxValidationError } from '../../src/netbox/client/errors.ts';
import type { NbCustomField, NbCustomFieldChoiceSet, NbRole, NbTag } from '../../src/model/netbox.ts';

/**
 * An in-memory BootstrapApi for tests: roles, tags, choice sets and custom fields as NetBox 4.7 reads them back,
 * NetBox's uniqueness and select-field rules, per-endpoint permissions (403 like NetBox), every write recorded.
 */

export interface FakeWrite {
  method: 'POST' | 'PATCH';
  endpoint: string;
  id?: number;
  body: Record<string, unknown>;
}

type Endpoint = 'ipam/roles' | 'extras/tags' | 'extras/custom-field-choice-sets' | 'extras/custom-fields';

export class FakeBootstrapApi implements BootstrapApi {
  roles: NbRole[] = [];
  tags: NbTag[] = [];
  choiceSets: NbCustomFieldChoiceSet[] = [];
  customFields: NbCustomField[] = [];
  readonly writes: FakeWrite[] = [];
  /** Endpoints whose writes are refused with 403, as for a user without the add/change permission. */
  readonly denied = new Set<string>();
  /** Makes every write fail with 403, as a read-only token does. */
  readOnly = false;
  /** Thrown by the next listing or write, then cleared. */
  failNext: Error | undefined;
  #nextId = 100;

  listRoles(): Promise<NbRole[]> {
    return this.#read(this.roles);
  }
  listTags(): Promise<NbTag[]> {
    return this.#read(this.tags);
  }
  listCustomFieldChoiceSets(): Promise<NbCustomFieldChoiceSet[]> {
    return this.#read(this.choiceSets);
  }
  listCustomFields(): Promise<NbCustomField[]> {
    return this.#read(this.customFields);
  }

  create<T>(endpoint: string, body: object): Promise<T> {
    return this.#write<T>('POST', endpoint, undefined, body);
  }

  update<T>(endpoint: string, id: number, patch: object): Promise<T> {
    return this.#write<T>('PATCH', endpoint, id, patch);
  }

  #read<T>(list: T[]): Promise<T[]> {
    const failure = this.#takeFailure();
    return failure ? Promise.reject(failure) : Promise.resolve(structuredClone(list));
  }

  #takeFailure(): Error | undefined {
    const failure = this.failNext;
    this.failNext = undefined;
    return failure;
  }

  async #write<T>(method: 'POST' | 'PATCH', endpoint: string, id: number | undefined, input: object): Promise<T> {
    await Promise.resolve();
    const body = structuredClone(input) as Record<string, unknown>;
    const path = `/api/${endpoint}/${id === undefined ? '' : `${id}/`}`;
    this.writes.push({ method, endpoint, ...(id === undefined ? {} : { id }), body });
    const failure = this.#takeFailure();
    if (failure) throw failure;
    if (this.readOnly || this.denied.has(endpoint)) {
      throw new NetBoxAuthError(
        { method, path },
        { status: 403, detail: 'You do not have permission to perform this action.' },
      );
    }
    const ep = endpoint as Endpoint;
    const saved = id === undefined ? this.#insert(ep, body, path) : this.#patch(ep, id, body, path);
    return structuredClone(saved) as T;
  }

  #insert(ep: Endpoint, body: Record<string, unknown>, path: string): object {
    const id = this.#nextId++;
    const common = { id, url: `http://netbox.test${path}${id}/`, display: text(body['name']) };
    const name = text(body['name']);
    const slug = text(body['slug']);
    const invalid = (field: string, message: string) =>
      new NetBoxValidationError({ method: 'POST', path }, { status: 400, fieldErrors: { [field]: [message] } });
    switch (ep) {
      case 'ipam/roles':
      case 'extras/tags': {
        const list: { name: string; slug: string }[] = ep === 'ipam/roles' ? this.roles : this.tags;
        if (list.some(o => o.name === name)) throw invalid('name', `${ep} with this name already exists.`);
        if (list.some(o => o.slug === slug)) throw invalid('slug', `${ep} with this slug already exists.`);
        const row = { ...common, name, slug, description: text(body['description']) };
        if (ep === 'ipam/roles') this.roles.push(row);
        else this.tags.push({ ...row, color: text(body['color']) || '9e9e9e' });
        return row;
      }
      case 'extras/custom-field-choice-sets': {
        if (this.choiceSets.some(s => s.name === name)) throw invalid('name', 'choice set name already exists.');
        const row = { ...common, name, extra_choices: body['extra_choices'] as [string, string][] };
        this.choiceSets.push(row);
        return row;
      }
      case 'extras/custom-fields': {
        if (this.customFields.some(f => f.name === name)) throw invalid('name', 'custom field name already exists.');
        const type = text(body['type']);
        const set = this.choiceSets.find(s => s.id === body['choice_set']);
        if (type === 'select' && !set) throw invalid('choice_set', 'Selection fields must specify a set of choices.');
        const row: NbCustomField = {
          ...common,
          name,
          type: { value: type, label: type },
          object_types: body['object_types'] as string[],
          label: text(body['label']),
          description: text(body['description']),
          required: false,
          choice_set: set ? { id: set.id, name: set.name } : null,
        };
        this.customFields.push(row);
        return row;
      }
    }
  }

  #patch(ep: Endpoint, id: number, body: Record<string, unknown>, path: string): object {
    const list: { id: number }[] =
      ep === 'extras/custom-fields'
        ? this.customFields
        : ep === 'extras/custom-field-choice-sets'
          ? this.choiceSets
          : [];
    const row = list.find(o => o.id === id);
    if (!row) {
      throw new NetBoxValidationError({ method: 'PATCH', path }, { status: 400, detail: `fake: no ${ep} ${id}` });
    }
    Object.assign(row, body);
    return row;
  }
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
