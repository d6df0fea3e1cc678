/**
 * Errors from the Kubernetes API, typed by what the caller does about them: a conflict is retried with a fresh
 * read, an invalid object is recorded against that object, a forbidden verb points at RBAC, and an unreachable
 * apiserver ends the cycle.
 */
export interface KubeErrorContext {
  verb: string;
  /** e.g. `ippools.projectcalico.org`, `services`. */
  resource: string;
  name?: string;
  namespace?: string;
}

function describe(ctx: KubeErrorContext): string {
  const obj = ctx.name ? ` ${ctx.namespace ? `${ctx.namespace}/` : ''}${ctx.name}` : '';
  return `${ctx.verb} ${ctx.resource}${obj}`;
}

export class KubeApiError extends Error {
  readonly status: number;
  /** The apiserver's Status.reason, e.g. `Conflict`, `Invalid`, `Forbidden`, `NotFound`. */
  readonly reason: string;
  readonly context: KubeErrorContext;
  /** Field causes from Status.details.causes (422). */
  readonly causes: { field?: string; message?: string }[];

  constructor(
    status: number,
    reason: string,
    message: string,
    context: KubeErrorContext,
    causes: KubeApiError['causes'] = [],
  ) {
    super(`${describe(context)} failed (${status} ${reason}): ${message}${hintFor(status, context)}`);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
    this.context = context;
    this.causes = causes;
  }

  get isConflict(): boolean {
    return this.status === 409;
  }
  get isNotFound(): boolean {
    return this.status === 404;
  }
  /** A create whose name is taken (409 AlreadyExists), as opposed to a write that lost a race (409 Conflict). */
  get isAlreadyExists(): boolean {
    return this.status === 409 && this.reason === 'AlreadyExists';
  }
}

/** RBAC verbs behind a client verb: server-side apply is a PATCH, and one that creates the object is also a `create`. */
const RBAC_VERBS: Record<string, string> = { apply: '"patch" (and "create" when the object is new)' };

function hintFor(status: number, ctx: KubeErrorContext): string {
  if (status === 403) {
    const verb = RBAC_VERBS[ctx.verb] ?? `"${ctx.verb}"`;
    return ` — the daemon's ServiceAccount lacks ${verb} on ${ctx.resource}; compare its RBAC with deploy/rbac/`;
  }
  if (status === 401)
    return ' — the Kubernetes credentials were rejected; check the kubeconfig or ServiceAccount token';
  return '';
}

/** The apiserver could not be reached or answered 5xx: nothing this cycle can be trusted, stop it. */
export class KubeUnavailableError extends Error {
  readonly context: KubeErrorContext;
  constructor(message: string, context: KubeErrorContext, cause?: unknown) {
    super(`${describe(context)}: Kubernetes API unavailable: ${message}`, { cause });
    this.name = 'KubeUnavailableError';
    this.context = context;
  }
}

/** No usable kubeconfig: the message says which sources were tried and what to do. */
export class KubeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeConfigError';
  }
}
