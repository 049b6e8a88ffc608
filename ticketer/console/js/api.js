// api.js - the console's only way to the server: the public JSON API with
// the bearer token kept in sessionStorage (this tab's session only; never
// in a URL, never in localStorage).
const KEY = 'alertdesk.token';

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.field = body && body.field;
  }
  // "ticket NOC-12 was changed by agent-2 since version 3 ..." -> "agent-2"
  get changedBy() {
    const m = this.status === 409 && this.field === 'version' && /changed by (\S+)/.exec(this.message);
    return m ? m[1] : null;
  }
}

export function token() {
  return sessionStorage.getItem(KEY);
}
export function setToken(tok) {
  if (tok) sessionStorage.setItem(KEY, tok);
  else sessionStorage.removeItem(KEY);
}

export async function api(method, path, body, headers) {
  const h = { Accept: 'application/json', ...(headers || {}) };
  const tok = token();
  if (tok) h.Authorization = `Bearer ${tok}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
  });
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body, headers) => api('POST', path, body ?? {}, headers);

// Query string from an object, skipping empty values; arrays repeat.
export function qs(obj) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null || v === '') continue;
    for (const one of [].concat(v)) p.append(k, one);
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}
