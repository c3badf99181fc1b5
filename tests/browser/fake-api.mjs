// The stand-in server of the JS client's unit tests (auth-client.*.unit.test.mjs): a scripted
// in-process `fetch`, and an AuthClient wired to it. The browser tests (js-client.*.test.mjs) are
// the proof against the real app; the unit tests pin down the orderings a real server rarely
// produces.

import { AuthClient } from '../../static/js/auth-client.js';

export const ORIGIN = 'http://app.test';

/** A JWT-shaped token whose payload carries `sid` (the client reads it, never verifies it). */
export function token(name, sid = 'session-1') {
  const payload = Buffer.from(JSON.stringify({ sid, jti: name })).toString('base64url');
  return `header.${payload}.${name}`;
}

export function json(status, body, headers = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

export function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A scripted API: one valid access token at a time, any other refused with `401 staleCode`
 * (`token_expired` unless a test says otherwise); `refreshGate` (if set) holds refresh answers
 * until released; `refreshAnswer` decides what a refresh returns. Records every request.
 * `POST /api/auth/password` takes `current_password: 'right'`; `/api/refuse/<code>` answers
 * `401 <code>` to a valid token; `/api/behind-proxy` is a proxy's HTML 401.
 */
export function fakeApi() {
  const api = {
    requests: [],
    valid: null,
    generation: 0,
    refreshGate: null,
    refreshAnswer: null,
    staleCode: 'token_expired',
    csrf: 'csrf-1',
    count(path, method) {
      return api.requests.filter((r) => r.path === path && (!method || r.method === method)).length;
    },
    async fetch(input, init) {
      const request = new Request(input, init);
      const { pathname } = new URL(request.url);
      const body = request.method === 'GET' ? null : await request.text();
      const record = {
        path: pathname,
        method: request.method,
        authorization: request.headers.get('Authorization'),
        csrf: request.headers.get('X-CSRF-Token'),
        credentials: init?.credentials ?? request.credentials,
        body,
      };
      api.requests.push(record);
      if (pathname === '/api/auth/login') {
        const { password } = JSON.parse(body);
        if (password !== 'right') {
          return json(401, { error: { code: 'invalid_credentials', message: 'no' } });
        }
        api.valid = token(`a${++api.generation}`);
        return json(200, {
          access_token: api.valid,
          token_type: 'Bearer',
          expires_in: 300,
          user: { id: 1, email: 'a@example.com' },
          session: { id: 'session-1', current: true },
          refresh_token: `r${api.generation}`,
        });
      }
      if (pathname === '/api/auth/refresh') {
        if (api.refreshGate) await api.refreshGate.promise;
        if (api.refreshAnswer) return api.refreshAnswer(record);
        api.valid = token(`a${++api.generation}`);
        return json(200, {
          access_token: api.valid,
          token_type: 'Bearer',
          expires_in: 300,
          refresh_token: `r${api.generation}`,
        });
      }
      if (pathname === '/api/auth/logout') return new Response(null, { status: 204 });
      if (pathname === '/api/behind-proxy') {
        return new Response('<h1>401 Authorization Required</h1>', {
          status: 401,
          headers: { 'Content-Type': 'text/html' },
        });
      }
      if (record.authorization !== `Bearer ${api.valid}`) {
        return json(401, { error: { code: api.staleCode, message: 'no good' } });
      }
      if (pathname === '/api/auth/password' && request.method === 'POST') {
        if (JSON.parse(body).current_password !== 'right') {
          return json(401, { error: { code: 'invalid_credentials', message: 'wrong password' } });
        }
        return new Response(null, { status: 204 });
      }
      if (pathname.startsWith('/api/refuse/')) {
        const code = pathname.slice('/api/refuse/'.length);
        return json(401, { error: { code, message: 'refused' } });
      }
      if (pathname === '/api/auth/me') return json(200, { user: { id: 1, email: 'a@example.com' } });
      if (pathname === '/api/echo') return json(200, { echoed: body });
      if (pathname === '/api/sessions' && request.method === 'DELETE') return json(200, { revoked: 2 });
      if (pathname === '/api/sessions/session-1' && request.method === 'DELETE') {
        return new Response(null, { status: 204 });
      }
      return json(404, { error: { code: 'not_found', message: 'Not found.' } });
    },
  };
  return api;
}

export function client(api, options = {}) {
  const logouts = [];
  const events = [];
  const auth = new AuthClient({
    baseUrl: ORIGIN,
    fetch: (...args) => api.fetch(...args), // late-bound: tests wrap api.fetch
    csrfToken: () => api.csrf,
    onLogout: (reason, error) => logouts.push({ reason, code: error.code }),
    crossTab: false,
    ...options,
  });
  for (const type of ['login', 'logout', 'refresh']) auth.on(type, (e) => events.push({ type, ...e.detail }));
  return { auth, logouts, events };
}

export async function signedInWithStaleToken(api, options) {
  const made = client(api, options);
  await made.auth.login('a@example.com', 'right');
  api.valid = 'rotated-by-the-server'; // the token the client holds no longer passes
  return made;
}
