// Unit tests of the JS client's queue logic under Node's test runner: the module itself, with a
// scripted in-process `fetch` standing in for the server. The browser test (js-client.test.mjs)
// is the proof against the real app; these pin down the orderings a real server rarely produces.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { ApiError, AuthClient, memoryStorage } from '../../static/js/auth-client.js';

const ORIGIN = 'http://app.test';

/** A JWT-shaped token whose payload carries `sid` (the client reads it, never verifies it). */
function token(name, sid = 'session-1') {
  const payload = Buffer.from(JSON.stringify({ sid, jti: name })).toString('base64url');
  return `header.${payload}.${name}`;
}

function json(status, body, headers = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A scripted API: one valid access token at a time; `refreshGate` (if set) holds refresh answers
 * until released; `refreshAnswer` decides what a refresh returns. Records every request.
 */
function fakeApi() {
  const api = {
    requests: [],
    valid: null,
    generation: 0,
    refreshGate: null,
    refreshAnswer: null,
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
      if (record.authorization !== `Bearer ${api.valid}`) {
        return json(401, { error: { code: 'token_expired', message: 'expired' } });
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

function client(api, options = {}) {
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

async function signedInWithStaleToken(api, options) {
  const made = client(api, options);
  await made.auth.login('a@example.com', 'right');
  api.valid = 'rotated-by-the-server'; // the token the client holds no longer passes
  return made;
}

test('ten concurrent 401s cause exactly one refresh, and each call is retried once', async () => {
  const api = fakeApi();
  const { auth, events } = await signedInWithStaleToken(api);
  const stale = auth.accessToken;
  api.refreshGate = deferred();
  const calls = Array.from({ length: 10 }, () => auth.me());
  // Let every first attempt fail before the refresh answers.
  while (api.count('/api/auth/me') < 10) await new Promise((r) => setTimeout(r, 1));
  api.refreshGate.resolve();
  const users = await Promise.all(calls);
  assert.equal(users.length, 10);
  assert.ok(users.every((u) => u.email === 'a@example.com'));
  assert.equal(api.count('/api/auth/refresh'), 1);
  assert.equal(api.count('/api/auth/me'), 20);
  const retries = api.requests.filter((r) => r.path === '/api/auth/me').slice(10);
  assert.ok(retries.every((r) => r.authorization === `Bearer ${api.valid}`));
  assert.notEqual(auth.accessToken, stale);
  assert.equal(events.filter((e) => e.type === 'refresh').length, 1);
});

test('cookie mode refresh carries the CSRF header and no body; the token stays in memory', async () => {
  const api = fakeApi();
  const { auth } = await signedInWithStaleToken(api);
  await auth.me();
  const refresh = api.requests.find((r) => r.path === '/api/auth/refresh');
  assert.equal(refresh.csrf, 'csrf-1');
  assert.equal(refresh.body, '');
  assert.equal(refresh.credentials, 'same-origin');
});

test('body mode sends the stored refresh token and stores the rotated one', async () => {
  const api = fakeApi();
  const storage = memoryStorage();
  const { auth } = await signedInWithStaleToken(api, { mode: 'body', refreshTokenStorage: storage });
  assert.equal(storage.get(), 'r1');
  await auth.me();
  const refresh = api.requests.find((r) => r.path === '/api/auth/refresh');
  assert.deepEqual(JSON.parse(refresh.body), { refresh_token: 'r1' });
  assert.equal(refresh.csrf, null);
  assert.equal(storage.get(), 'r2');
});

test('a refused refresh rejects every waiting call, clears state and calls onLogout once', async () => {
  const api = fakeApi();
  const storage = memoryStorage();
  const { auth, logouts, events } = await signedInWithStaleToken(api, {
    mode: 'body',
    refreshTokenStorage: storage,
  });
  api.refreshGate = deferred();
  api.refreshAnswer = () =>
    json(401, { error: { code: 'invalid_refresh_token', message: 'revoked' } });
  const calls = Array.from({ length: 10 }, () => auth.me());
  while (api.count('/api/auth/me') < 10) await new Promise((r) => setTimeout(r, 1));
  api.refreshGate.resolve();
  const results = await Promise.allSettled(calls);
  assert.ok(results.every((r) => r.status === 'rejected'));
  assert.ok(results.every((r) => r.reason instanceof ApiError && r.reason.code === 'invalid_refresh_token'));
  assert.equal(api.count('/api/auth/refresh'), 1);
  assert.equal(api.count('/api/auth/me'), 10, 'nothing is retried after a refused refresh');
  assert.deepEqual(logouts, [{ reason: 'session_ended', code: 'invalid_refresh_token' }]);
  assert.equal(events.filter((e) => e.type === 'logout').length, 1);
  assert.equal(auth.accessToken, null);
  assert.equal(auth.isAuthenticated, false);
  assert.equal(storage.get(), null);
});

test('a 401 arriving after the session ended rejects without another refresh', async () => {
  const api = fakeApi();
  const { auth, logouts } = await signedInWithStaleToken(api);
  const late = deferred();
  const realFetch = api.fetch;
  let held = false;
  api.fetch = async (input, init) => {
    const response = await realFetch(input, init);
    // Hold the first /me answer back until the other call's refresh has been refused.
    if (!held && new URL(new Request(input, init).url).pathname === '/api/auth/me') {
      held = true;
      await late.promise;
    }
    return response;
  };
  api.refreshAnswer = () =>
    json(401, { error: { code: 'invalid_refresh_token', message: 'revoked' } });
  const slow = auth.me();
  const fast = auth.me();
  await assert.rejects(fast, { code: 'invalid_refresh_token' });
  late.resolve();
  await assert.rejects(slow, { code: 'invalid_refresh_token' });
  assert.equal(api.count('/api/auth/refresh'), 1);
  assert.equal(logouts.length, 1);
});

test('a network error during refresh rejects the calls but is not a logout', async () => {
  const api = fakeApi();
  const { auth, logouts, events } = await signedInWithStaleToken(api);
  const held = auth.accessToken;
  api.refreshAnswer = () => {
    throw new TypeError('Failed to fetch');
  };
  const results = await Promise.allSettled([auth.me(), auth.me(), auth.me()]);
  assert.ok(results.every((r) => r.status === 'rejected' && r.reason instanceof TypeError));
  assert.equal(api.count('/api/auth/refresh'), 1);
  assert.deepEqual(logouts, []);
  assert.equal(events.filter((e) => e.type === 'logout').length, 0);
  assert.equal(auth.accessToken, held, 'state is kept');
  // The network is back: the next call refreshes and succeeds.
  api.refreshAnswer = null;
  assert.equal((await auth.me()).email, 'a@example.com');
  assert.equal(api.count('/api/auth/refresh'), 2);
});

test('a transient refresh failure (503) is not a logout either', async () => {
  const api = fakeApi();
  const { auth, logouts } = await signedInWithStaleToken(api);
  api.refreshAnswer = () => json(503, { error: { code: 'internal_error', message: 'busy' } });
  await assert.rejects(auth.me(), { status: 503 });
  assert.deepEqual(logouts, []);
  assert.ok(auth.isAuthenticated);
});

test('calls started while a refresh is in flight wait for it instead of failing first', async () => {
  const api = fakeApi();
  const { auth } = await signedInWithStaleToken(api);
  api.refreshGate = deferred();
  const first = auth.me();
  while (api.count('/api/auth/refresh') < 1) await new Promise((r) => setTimeout(r, 1));
  const queued = [auth.me(), auth.me()];
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(api.count('/api/auth/me'), 1, 'queued calls are not sent with the stale token');
  api.refreshGate.resolve();
  await Promise.all([first, ...queued]);
  assert.equal(api.count('/api/auth/me'), 4); // 1 failed + 1 retry + 2 sent once with the new token
  assert.equal(api.count('/api/auth/refresh'), 1);
});

test('a 401 that arrives after the refresh finished retries with the new token, no second refresh', async () => {
  const api = fakeApi();
  const { auth } = await signedInWithStaleToken(api);
  const late = deferred();
  const realFetch = api.fetch;
  let meCalls = 0;
  api.fetch = async (input, init) => {
    const path = new URL(new Request(input, init).url).pathname;
    const response = await realFetch(input, init);
    if (path === '/api/auth/me' && ++meCalls === 1) await late.promise;
    return response;
  };
  const slow = auth.me();
  const fast = auth.me();
  await fast; // refreshed and retried
  late.resolve(); // now the slow call sees its 401 from the old token
  await slow;
  assert.equal(api.count('/api/auth/refresh'), 1);
});

test('a retry is attempted once: a second 401 is returned, not looped', async () => {
  const api = fakeApi();
  const { auth } = await signedInWithStaleToken(api);
  api.refreshAnswer = () => json(200, { access_token: token('useless'), expires_in: 300 });
  const response = await auth.fetch('/api/auth/me');
  assert.equal(response.status, 401);
  assert.equal(api.count('/api/auth/refresh'), 1);
  assert.equal(api.count('/api/auth/me'), 2);
});

test('auth endpoints are never retried and never trigger a refresh', async () => {
  const api = fakeApi();
  const { auth, logouts } = client(api);
  await assert.rejects(auth.login('a@example.com', 'wrong'), { code: 'invalid_credentials' });
  const refresh = await auth.fetch('/api/auth/refresh', { method: 'POST' });
  api.refreshAnswer = () => json(401, { error: { code: 'invalid_refresh_token', message: 'x' } });
  const viaFetch = await auth.fetch('/api/auth/refresh', { method: 'POST' });
  const login = await auth.fetch('/api/auth/login', {
    method: 'POST',
    body: JSON.stringify({ email: 'a', password: 'wrong' }),
  });
  assert.equal(refresh.status, 200);
  assert.equal(viaFetch.status, 401);
  assert.equal(login.status, 401);
  assert.equal(api.count('/api/auth/login'), 2);
  assert.equal(api.count('/api/auth/refresh'), 2, 'only the two explicit calls');
  assert.deepEqual(logouts, []);
});

test('the request body is sent again on the retry', async () => {
  const api = fakeApi();
  const { auth } = await signedInWithStaleToken(api);
  const response = await auth.fetch('/api/echo', { method: 'POST', body: '{"n":42}' });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { echoed: '{"n":42}' });
  const echoes = api.requests.filter((r) => r.path === '/api/echo');
  assert.equal(echoes.length, 2);
  assert.ok(echoes.every((r) => r.body === '{"n":42}' && r.csrf === 'csrf-1'));
});

test('the Bearer token is never sent to another origin, and foreign 401s are not refreshed', async () => {
  const api = fakeApi();
  const { auth } = client(api);
  await auth.login('a@example.com', 'right');
  const response = await auth.fetch('http://elsewhere.test/api/auth/me');
  assert.equal(response.status, 401);
  const foreign = api.requests.at(-1);
  assert.equal(foreign.authorization, null);
  assert.equal(api.count('/api/auth/refresh'), 0);
});

test('logout clears the state and fires logout without calling onLogout', async () => {
  const api = fakeApi();
  const { auth, logouts, events } = client(api);
  await auth.login('a@example.com', 'right');
  const bearer = `Bearer ${auth.accessToken}`;
  assert.equal(await auth.logout(), true);
  const request = api.requests.find((r) => r.path === '/api/auth/logout');
  assert.equal(request.authorization, bearer);
  assert.equal(request.csrf, 'csrf-1');
  assert.equal(auth.accessToken, null);
  assert.deepEqual(logouts, []);
  assert.deepEqual(
    events.map((e) => [e.type, e.reason]),
    [['login', undefined], ['logout', 'user']],
  );
});

test('resume() without a session answers null quietly; with one it loads the user', async () => {
  const api = fakeApi();
  api.refreshAnswer = () => json(401, { error: { code: 'invalid_refresh_token', message: 'x' } });
  const { auth, logouts, events } = client(api);
  assert.equal(await auth.resume(), null);
  assert.deepEqual(logouts, []);
  assert.deepEqual(events, []);
  api.refreshAnswer = null;
  const user = await auth.resume();
  assert.equal(user.email, 'a@example.com');
  assert.equal(auth.sessionId, 'session-1');
  assert.deepEqual(
    events.map((e) => [e.type, e.resumed]),
    [['refresh', undefined], ['login', true]],
  );
});

test('revokeOthers answers the count; revoke of this device signs out', async () => {
  const api = fakeApi();
  const { auth } = client(api);
  await auth.login('a@example.com', 'right');
  assert.equal(await auth.revokeOthers(), 2);
  await assert.rejects(auth.revoke('someone-else'), { code: 'not_found' });
  assert.ok(auth.isAuthenticated);
  await auth.revoke('session-1');
  assert.equal(auth.isAuthenticated, false);
  assert.equal(api.count('/api/auth/refresh'), 0);
});

test('a proactive refresh runs refreshAhead seconds before expiry, at most a few seconds early', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const api = fakeApi();
  const { auth, events } = client(api); // expires_in 300, refreshAhead 30 by default
  await auth.login('a@example.com', 'right');
  const settle = async () => {
    for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
  };
  t.mock.timers.tick(264_000); // 300 - 30 - the largest jitter (5) - 1
  await settle();
  assert.equal(api.count('/api/auth/refresh'), 0);
  t.mock.timers.tick(6_001);
  await settle();
  assert.equal(api.count('/api/auth/refresh'), 1);
  assert.equal(events.filter((e) => e.type === 'refresh').length, 1);
  auth.close();
});

test('no proactive refresh when the token is too short-lived for refreshAhead', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const api = fakeApi();
  const { auth } = client(api, { refreshAhead: 200 }); // 300 s is not more than twice 200 s
  await auth.login('a@example.com', 'right');
  t.mock.timers.tick(300_000);
  for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(api.count('/api/auth/refresh'), 0);
});
