/**
 * Event rules and webhook delivery. After a request commits, each changed object is matched against enabled
 * event rules (object type, event type, conditions); every matching webhook rule sends one request with NetBox's
 * default body, signed with X-Hook-Signature = hex HMAC-SHA512(body, secret). Delivery is asynchronous, 2xx
 * counts as delivered, nothing is retried, and only loopback targets are contacted.
 */
import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { conditionsHold } from './conditions.ts';
import { versionAtLeast } from './knobs.ts';
import { pyIsoformat, pyJsonDumps, nowMicros } from './pyfmt.ts';
import type { Store } from './store.ts';
import { isPlainObject, text } from './types.ts';
import type { EventName } from './write.ts';

/** A committed change, ready to be matched against event rules. */
export interface ObjectEvent {
  objectType: string;
  objectId: number;
  event: EventName;
  data: unknown;
  prechange: Record<string, unknown> | null;
  postchange: Record<string, unknown> | null;
}

export interface RequestInfo {
  id: string;
  method: string;
  path: string;
  user: string;
  /** The query string's parameters (a Django QueryDict: every value a list). */
  query?: Record<string, string[]>;
}

export interface Delivery {
  id: number;
  at: string;
  webhookId: number;
  eventRuleId: number;
  event: EventName;
  objectType: string;
  objectId: number;
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  status: number | null;
  delivered: boolean;
  error: string | null;
  durationMs: number;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
}

function parseHeaders(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

export class WebhookDispatcher {
  readonly deliveries: Delivery[] = [];
  private readonly pending = new Set<Promise<void>>();
  private seq = 0;

  /** Matches events against event rules and starts deliveries; returns at once. */
  dispatch(store: Store, events: ObjectEvent[], req: RequestInfo, apiVersion: string, timeoutMs: number): void {
    const rules = store.all('extras/event-rules').filter(r => r['enabled'] === true);
    for (const ev of events) {
      const timestamp = pyIsoformat(nowMicros());
      const snapshots = { prechange: ev.prechange, postchange: ev.postchange };
      for (const rule of rules) {
        if (!(rule['object_types'] as string[]).includes(ev.objectType)) continue;
        if (!(rule['event_types'] as string[]).includes(`object_${ev.event}`)) continue;
        if (rule['action_type'] !== 'webhook' || rule['action_object_type'] !== 'extras.webhook') continue;
        const webhook = store.get('extras/webhooks', rule['action_object_id'] as number);
        if (!webhook) continue;
        const context = isPlainObject(ev.data) ? { ...ev.data, snapshots } : ev.data;
        if (!conditionsHold(rule['conditions'], context)) continue;
        const payload: Record<string, unknown> = {
          event: ev.event,
          timestamp,
          object_type: ev.objectType,
          ...(versionAtLeast(apiVersion, '4.7') ? {} : { username: req.user, request_id: req.id }),
          data: ev.data,
          snapshots,
          // utilities.request.get_safe_request_context
          request: {
            id: req.id,
            path: req.path,
            path_info: req.path,
            method: req.method,
            GET: req.query ?? {},
            user: req.user,
          },
        };
        const template = text(webhook['body_template']);
        const body = template === '' ? pyJsonDumps(payload) : template;
        const headers: Record<string, string> = {
          'Content-Type': text(webhook['http_content_type']) || 'application/json',
          ...parseHeaders(text(webhook['additional_headers'])),
        };
        const secret = text(webhook['secret']);
        if (secret !== '') headers['X-Hook-Signature'] = createHmac('sha512', secret).update(body).digest('hex');
        this.send(
          {
            id: ++this.seq,
            at: new Date().toISOString(),
            webhookId: webhook.id,
            eventRuleId: rule.id,
            event: ev.event,
            objectType: ev.objectType,
            objectId: ev.objectId,
            url: String(webhook['payload_url']),
            method: text(webhook['http_method']) || 'POST',
            headers,
            body,
            status: null,
            delivered: false,
            error: null,
            durationMs: 0,
          },
          timeoutMs,
        );
      }
    }
  }

  private send(delivery: Delivery, timeoutMs: number): void {
    this.deliveries.push(delivery);
    const started = Date.now();
    const done = (status: number | null, error: string | null) => {
      delivery.status = status;
      delivery.delivered = status !== null && status >= 200 && status < 300;
      delivery.error = error;
      delivery.durationMs = Date.now() - started;
    };
    let target: URL;
    try {
      target = new URL(delivery.url);
    } catch (err) {
      done(null, `payload_url is not a URL: ${(err as Error).message}`);
      return;
    }
    if (target.protocol !== 'http:' || !isLoopback(target)) {
      done(null, `refused: the emulator only delivers to http:// loopback URLs, not ${target.origin}`);
      return;
    }
    const job = new Promise<void>(resolve => {
      const req = request(
        target,
        {
          method: delivery.method,
          headers: { ...delivery.headers, 'Content-Length': Buffer.byteLength(delivery.body) },
        },
        res => {
          res.resume();
          res.on('end', () => {
            done(res.statusCode ?? null, null);
            resolve();
          });
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', err => {
        done(null, err.message);
        resolve();
      });
      req.end(delivery.body);
    });
    this.pending.add(job);
    void job.finally(() => this.pending.delete(job));
  }

  /** Resolves once every started delivery has finished. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  clear(): void {
    this.deliveries.length = 0;
  }
}
