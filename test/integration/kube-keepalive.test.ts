import { Agent } from 'node:https';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../../src/k8s/client.ts';
import type { ResourceType } from '../../src/model/k8s-object.ts';

/**
 * Keep-alive against the real apiserver: requests one after the other share one TLS connection. client-node's
 * applyToHTTPSOptions gives every request a new Agent, so without care each request paid a TLS handshake.
 */
const NS: ResourceType = { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false };

describe('KubeClient keep-alive', () => {
  const original = Object.getOwnPropertyDescriptor(Agent.prototype, 'createConnection');
  afterAll(() => {
    if (original) Object.defineProperty(Agent.prototype, 'createConnection', original);
  });

  it('sends 20 requests in a row over one TLS connection', async () => {
    let connections = 0;
    const create = Agent.prototype.createConnection as (...args: unknown[]) => unknown;
    Agent.prototype.createConnection = function (this: Agent, ...args: unknown[]) {
      connections++;
      return create.apply(this, args);
    } as typeof Agent.prototype.createConnection;
    const kube = new KubeClient({ kubeconfig: inject('kubeconfigPath') });
    try {
      for (let i = 0; i < 20; i++) await kube.get(NS, 'default');
    } finally {
      kube.close();
    }
    expect(kube.requestCounts()).toEqual({ get: 20 });
    expect(connections).toBe(1);
  });
});
