// The Deskhub API client.  The access token lives in sessionStorage (gone
// when the tab closes) and travels only in the Authorization header.

const TOKEN_KEY = 'deskhub.token';
const USER_KEY = 'deskhub.user';
const EXP_KEY = 'deskhub.expires';

let onUnauthorized = () => {};

export class ApiError extends Error {
  constructor(status, data, message) {
    super(message || (data && data.error) || ('HTTP ' + status));
    this.status = status;
    this.data = data || {};
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  get user() {
    try { return JSON.parse(sessionStorage.getItem(USER_KEY) || 'null'); } catch { return null; }
  },
  get expiresAt() { return Number(sessionStorage.getItem(EXP_KEY) || 0); },
  save(token, user, expiresIn) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(USER_KEY, JSON.stringify(user || null));
    if (expiresIn) sessionStorage.setItem(EXP_KEY, String(Date.now() + Number(expiresIn) * 1000));
    else sessionStorage.removeItem(EXP_KEY);
  },
  setUser(user) { sessionStorage.setItem(USER_KEY, JSON.stringify(user || null)); },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
    sessionStorage.removeItem(EXP_KEY);
  },
};

export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

// api('GET', '/api/requests', {query: {...}}) / api('PATCH', path, {body})
export async function api(method, path, { query, body, auth = true, signal, timeout = 60000 } = {}) {
  let url = path;
  if (query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
    }
    const s = qs.toString();
    if (s) url += '?' + s;
  }
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth && session.token) headers.Authorization = 'Bearer ' + session.token;

  const ctl = new AbortController();
  const timer = timeout ? setTimeout(() => ctl.abort(), timeout) : null;
  if (signal) signal.addEventListener('abort', () => ctl.abort(), { once: true });
  let res;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: ctl.signal,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (e) {
    if (timer) clearTimeout(timer);
    if (signal && signal.aborted) throw e;
    throw new ApiError(0, {}, ctl.signal.aborted
      ? 'The server did not answer in time. Check your connection and try again.'
      : 'Cannot reach the Deskhub server. Check your connection and try again.');
  }
  if (timer) clearTimeout(timer);
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = { error: text.slice(0, 200) }; }
  }
  if (!res.ok) {
    if (res.status === 401 && auth) onUnauthorized();
    throw new ApiError(res.status, data);
  }
  return data;
}

// A readable sentence for an error the user can act upon.
export function describeError(e, what = 'The request') {
  if (!(e instanceof ApiError)) return what + ' failed: ' + (e && e.message ? e.message : String(e));
  switch (e.status) {
    case 0: return e.message;
    case 401: return 'Your session has expired. Sign in again.';
    case 403: return 'Your role is not allowed to do this. Ask an administrator.';
    case 404: return what + ' is not available on this server yet (404). Ask an administrator to update Deskhub.';
    case 503: return 'The service is unavailable right now (the database or a backend program may be down). Wait a minute and try again.';
    default: return (e.data && e.data.error) ? e.data.error.charAt(0).toUpperCase() + e.data.error.slice(1) : what + ' failed (HTTP ' + e.status + ').';
  }
}
