// The operator console's calls to the server: every /api/admin/* and /api/stats call carries
// the admin's bearer token. A 401 means the token is gone (expired, revoked, password reset):
// the console shows the sign-in form again (onSignedOut). Answers are {status, ok, data}.

let token = null;
let signedOut = () => {};

export function useToken(value, onSignedOut) {
  token = value;
  if (onSignedOut) signedOut = onSignedOut;
}

export async function api(method, url, body) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch {
    return { status: 0, ok: false, data: {} };
  }
  let data = {};
  try { data = res.status === 204 ? {} : await res.json(); } catch { /* not JSON */ }
  if (res.status === 401 && token) signedOut();
  return { status: res.status, ok: res.ok, data };
}

/** A server refusal in plain words: the detail string, or each field's complaint (422). */
export function problem(res) {
  const detail = res.data && res.data.detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => `${(d.loc || []).join('.')}: ${d.msg}`).join('; ');
  }
  return typeof detail === 'string' ? detail : '';
}

/** "?a=1&b=2" from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
