/**
 * A Node preload (`NODE_OPTIONS=--import=<this file>`, `NBSYNC_NETLOG=<file>`) that records where a process sends
 * traffic: every outgoing TCP/TLS/IPC connect (net.Socket#connect, which http, https, tls, ioredis and the
 * Kubernetes client all end in), every UDP send, and every DNS lookup, one JSON line each in NBSYNC_NETLOG.
 * Used by test/reliability/security.test.ts to prove the daemon talks only to NetBox, the apiserver and Redis.
 */
import { appendFileSync } from 'node:fs';
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';

export interface NetEvent {
  /** `connect` (TCP or TLS), `ipc` (Unix socket), `udp`, `lookup` (DNS), `loaded` (the recorder runs). */
  type: 'connect' | 'ipc' | 'udp' | 'lookup' | 'loaded';
  host?: string;
  port?: number;
  path?: string;
}

const file = process.env['NBSYNC_NETLOG'];

function record(event: NetEvent): void {
  if (file) appendFileSync(file, `${JSON.stringify(event)}\n`);
}

type ConnectArgs = unknown[];

/** net.Socket#connect(options[, cb]) | (port[, host][, cb]) | (path[, cb]) | ([options, cb]) (normalised form). */
function destination(args: ConnectArgs): NetEvent | undefined {
  let first = args[0];
  if (Array.isArray(first)) first = first[0];
  if (typeof first === 'object' && first !== null) {
    const o = first as { host?: unknown; port?: unknown; path?: unknown };
    if (typeof o.path === 'string') return { type: 'ipc', path: o.path };
    return { type: 'connect', host: typeof o.host === 'string' ? o.host : 'localhost', port: Number(o.port) };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return { type: 'ipc', path: first };
  if (typeof first === 'number' || typeof first === 'string') {
    const host = typeof args[1] === 'string' ? args[1] : 'localhost';
    return { type: 'connect', host, port: Number(first) };
  }
  return undefined;
}

if (file) {
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function patchedConnect(this: net.Socket, ...args: ConnectArgs) {
    const dest = destination(args);
    if (dest) record(dest);
    return (connect as (...a: ConnectArgs) => net.Socket).apply(this, args);
  };

  const send = dgram.Socket.prototype.send;
  dgram.Socket.prototype.send = function patchedSend(this: dgram.Socket, ...args: unknown[]) {
    const port = args.find((a, i) => i > 0 && typeof a === 'number' && a > 0 && a < 65536);
    const host = args.find((a, i) => i > 0 && typeof a === 'string');
    record({ type: 'udp', host: typeof host === 'string' ? host : 'localhost', port: Number(port) });
    return (send as (...a: unknown[]) => void).apply(this, args);
  } as typeof send;

  const lookup = dns.lookup;
  dns.lookup = function patchedLookup(hostname: string, ...rest: unknown[]) {
    record({ type: 'lookup', host: hostname });
    return (lookup as (...a: unknown[]) => unknown).apply(dns, [hostname, ...rest]);
  } as typeof lookup;
  const promisesLookup = dns.promises.lookup;
  dns.promises.lookup = function patchedPromisesLookup(hostname: string, ...rest: unknown[]) {
    record({ type: 'lookup', host: hostname });
    return (promisesLookup as (...a: unknown[]) => unknown).apply(dns.promises, [hostname, ...rest]);
  } as typeof promisesLookup;
  record({ type: 'loaded' });
}
