import { expire, session } from './session';

/** An API call that did not answer 2xx, with the server's reason (OperationOutcome diagnostics). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** fetch against our own APIs, with the bearer token when signed in. */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const token = session().token;
  if (token) headers.set('authorization', `Bearer ${token}`);
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401) expire();
  if (!res.ok) throw new ApiError(res.status, await reasonOf(res));
  return res;
}

export async function getJson<T>(path: string, accept = 'application/json'): Promise<T> {
  return (await (await apiFetch(path, { headers: { accept } })).json()) as T;
}

/** POST, with a JSON body when one is given. */
export async function postJson<T>(path: string, body?: unknown): Promise<T> {
  const init: RequestInit =
    body === undefined
      ? { method: 'POST' }
      : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  return (await (await apiFetch(path, init)).json()) as T;
}

export async function deleteResource(path: string): Promise<void> {
  await apiFetch(path, { method: 'DELETE' });
}

async function reasonOf(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { issue?: { diagnostics?: string }[] };
    return body.issue?.[0]?.diagnostics ?? `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}
