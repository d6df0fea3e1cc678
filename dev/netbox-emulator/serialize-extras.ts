/** REST representations of the extras models (field order of NetBox's serializers). */
import { taggedItems } from './derived.ts';
import { modelByObjectType } from './models.ts';
import type { ReprContext } from './serialize.ts';
import type { Endpoint, Row } from './types.ts';

export interface ExtrasHelpers {
  ctx: ReprContext;
  nested: (ctx: ReprContext, ep: Endpoint, id: unknown) => Record<string, unknown> | null;
  choice: (field: string, value: unknown) => { value: unknown; label: string } | null;
  common: { tags: unknown; custom_fields: unknown; created: string; last_updated: string };
}

/** The OpenAPI data type NetBox reports for each custom field type. */
const DATA_TYPES: Record<string, string> = {
  text: 'string',
  longtext: 'string',
  integer: 'integer',
  decimal: 'number',
  boolean: 'boolean',
  date: 'string',
  datetime: 'string',
  url: 'string',
  json: 'object',
  select: 'string',
  multiselect: 'array',
  object: 'object',
  multiobject: 'array',
};

export function representExtras(ep: Endpoint, row: Row, h: ExtrasHelpers): Record<string, unknown> {
  const { ctx, nested, choice, common } = h;
  const times = { created: row.created, last_updated: row.last_updated };
  switch (ep) {
    case 'extras/tags':
      return {
        name: row['name'],
        slug: row['slug'],
        color: row['color'],
        description: row['description'],
        weight: row['weight'],
        object_types: row['object_types'],
        tagged_items: taggedItems(ctx.store, row.id),
        ...times,
      };
    case 'extras/custom-field-choice-sets': {
      const extra = (row['extra_choices'] as [string, string][] | null) ?? [];
      return {
        name: row['name'],
        description: row['description'],
        base_choices: choice('base_choices', row['base_choices']),
        extra_choices: row['extra_choices'],
        choice_colors: row['choice_colors'] ?? {},
        order_alphabetically: row['order_alphabetically'],
        choices_count: extra.length,
        owner: null,
        ...times,
      };
    }
    case 'extras/custom-fields':
      return {
        object_types: row['object_types'],
        type: choice('type', row['type']),
        related_object_type: row['related_object_type'],
        data_type: DATA_TYPES[String(row['type'])] ?? 'string',
        name: row['name'],
        label: row['label'],
        group_name: row['group_name'],
        description: row['description'],
        required: row['required'],
        unique: row['unique'],
        search_weight: row['search_weight'],
        filter_logic: choice('filter_logic', row['filter_logic']),
        ui_visible: choice('ui_visible', row['ui_visible']),
        ui_editable: choice('ui_editable', row['ui_editable']),
        is_cloneable: row['is_cloneable'],
        nulls_first: row['nulls_first'] ?? true,
        default: row['default'],
        related_object_filter: row['related_object_filter'],
        weight: row['weight'],
        validation_minimum: row['validation_minimum'],
        validation_maximum: row['validation_maximum'],
        validation_regex: row['validation_regex'],
        validation_schema: row['validation_schema'],
        choice_set: nested(ctx, 'extras/custom-field-choice-sets', row['choice_set']),
        // Read-only in NetBox: a field is `provisioning`/`deleting` only while a job rewrites its data.
        status: { value: 'active', label: 'Active' },
        owner: null,
        comments: row['comments'],
        ...times,
      };
    case 'extras/journal-entries': {
      const model = modelByObjectType(String(row['assigned_object_type']));
      return {
        assigned_object_type: row['assigned_object_type'],
        assigned_object_id: row['assigned_object_id'],
        assigned_object: model ? nested(ctx, model.endpoint, row['assigned_object_id']) : null,
        created: row.created,
        created_by: row['created_by'] ?? null,
        kind: choice('kind', row['kind']),
        comments: row['comments'],
        tags: common.tags,
        custom_fields: common.custom_fields,
        last_updated: row.last_updated,
      };
    }
    case 'extras/webhooks':
      return {
        name: row['name'],
        description: row['description'],
        payload_url: row['payload_url'],
        http_method: row['http_method'],
        http_content_type: row['http_content_type'],
        additional_headers: row['additional_headers'],
        body_template: row['body_template'],
        secret: row['secret'],
        ssl_verification: row['ssl_verification'],
        ca_file_path: row['ca_file_path'],
        custom_fields: common.custom_fields,
        owner: null,
        tags: common.tags,
        ...times,
      };
    case 'extras/event-rules': {
      const isWebhook = row['action_object_type'] === 'extras.webhook';
      return {
        object_types: row['object_types'],
        name: row['name'],
        enabled: row['enabled'],
        event_types: row['event_types'],
        conditions: row['conditions'],
        action_type: choice('action_type', row['action_type']),
        action_object_type: row['action_object_type'],
        action_object_id: row['action_object_id'],
        action_object: isWebhook ? nested(ctx, 'extras/webhooks', row['action_object_id']) : null,
        // Whether the action's object (webhook, script) still exists; the webhook is PROTECTed while rules use it.
        action_is_available:
          !isWebhook || ctx.store.get('extras/webhooks', Number(row['action_object_id'])) !== undefined,
        description: row['description'],
        custom_fields: common.custom_fields,
        owner: null,
        tags: common.tags,
        ...times,
      };
    }
    default:
      return { ...common };
  }
}
