/**
 * auth-client.js: a dependency-free ES module for the template's JSON API.
 *
 * - The access token lives in memory only and goes out as `Authorization: Bearer`.
 * - Cookie mode: refresh rides on the HttpOnly `refresh_token` cookie plus `X-CSRF-Token` copied
 *   from the script-readable CSRF cookie (`__Host-csrf_token` over HTTPS, `csrf_token` on plain
 *   HTTP). Body mode: the refresh token is kept in a
 *   pluggable storage (default: memory).
 * - A `401` from a non-auth endpoint whose code says the access token is no good
 *   (`token_expired`, `unauthorized`) triggers exactly one refresh however many calls failed at
 *   once; the others wait and are retried once each with the new token. Any other `401` (a wrong
 *   current password: `invalid_credentials`) is the caller's answer, returned as is. A refused
 *   refresh ends the session: waiting calls reject, state is cleared, `onLogout` runs. A network
 *   error during a refresh is not a logout. Auth endpoints (login, register, refresh, logout) are
 *   never retried.
 * - Across tabs (cookie mode) refreshes are serialised with Web Locks and new tokens are shared
 *   over a BroadcastChannel, so tabs do not stampede; the server's reuse grace covers a race.
 *
 * @example
 *   import { AuthClient } from '/static/js/auth-client.js';
 *   const auth = new AuthClient();
 *   auth.addEventListener('logout', (e) => console.log('signed out:', e.detail.reason));
 *   let signedIn = await auth.login(email, password);
 *   if (signedIn.mfaRequired) signedIn = await auth.completeMfa(signedIn.mfaToken, codeFromUser);
 *   const user = signedIn.user;
 *   const response = await auth.fetch('/api/things', { method: 'POST', body: '{}' });
 *
 * @module auth-client
 */

/** The auth endpoints: never retried, never a reason to refresh. */
const AUTH_ENDPOINTS = ['login', 'register', 'refresh', 'logout', 'mfa'];
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/**
 * The codes of a `401` that a new access token can cure. Any other `401` is about the request
 * itself (a wrong current password is `invalid_credentials`): refreshing would not change it.
 */
const REFRESH_ON = new Set(['token_expired', 'unauthorized']);

/**
 * An error answer of the API (`{"error": {"code", "message"}}`), or a session the client lost.
 * `fetch` resolves with non-2xx responses like the platform's `fetch`; the helpers (`login`,
 * `me`, `sessions`…) and refused refreshes reject with an `ApiError`.
 */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0 when no request was made)
   * @param {string} code the contract's snake_case code, e.g. `invalid_refresh_token`
   * @param {string} message human-readable text from the server
   */
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * A user as the API shows it (`User` in `/api/openapi.json`).
 * @typedef {object} User
 * @property {string} id the user id, as a string
 * @property {string} email
 * @property {string} name may be empty
 * @property {'user'|'admin'} role
 * @property {string} created_at RFC 3339, UTC
 * @property {boolean} email_verified a link mailed to the address was followed
 * @property {boolean} mfa_enabled two-factor sign-in (TOTP) is on
 */

/**
 * A signed-in device (`Session` in `/api/openapi.json`).
 * @typedef {object} Session
 * @property {string} id
 * @property {boolean} current whether it is this device's session
 * @property {string} browser
 * @property {string} browser_version
 * @property {string} os
 * @property {string} device `pc`, `smartphone`, `mobilephone`, `appliance`, `crawler`, `misc`
 *   or `UNKNOWN`
 * @property {string} user_agent
 * @property {string|null} ip
 * @property {boolean} mfa signed in with a second factor
 * @property {string} method how it signed in: `password`, `password+totp`, `password+recovery`,
 *   `password+passkey`, `passkey`, `oidc:{provider}` (and `+totp`… after a second step)
 * @property {string} created_at RFC 3339, UTC
 * @property {string} last_used_at RFC 3339, UTC
 * @property {string} expires_at RFC 3339, UTC
 */

/**
 * What signing in or up resolves with.
 * @typedef {object} SignedIn
 * @property {User} user
 * @property {Session} session this device's new session
 */

/**
 * What `login` resolves with when two-factor sign-in is on: no session yet; pass `mfaToken` and
 * a code to `completeMfa`.
 * @typedef {object} MfaRequired
 * @property {true} mfaRequired
 * @property {string} mfaToken the ticket for the second step
 * @property {number} expiresIn seconds until the ticket expires
 */

/**
 * @typedef {object} AccountExport Everything stored about the user, without secrets.
 * @property {string} exported_at RFC 3339, UTC
 * @property {User & {active: boolean}} user
 * @property {Array<Session & {revoked_at: string|null}>} sessions every session, newest first
 * @property {Array<object>} events every security event, newest first
 * @property {{enabled: boolean, recovery_codes_left: number}} mfa
 * @property {Array<object>} passkeys
 * @property {Array<object>} identities
 */

/**
 * @typedef {object} RefreshTokenStorage Where body mode keeps the refresh token. Methods may be
 *   async. Memory is the default; anything that survives a reload is readable by scripts, so
 *   choose with care (sessionStorage is per tab; localStorage is exposed to every script).
 * @property {() => (string|null|Promise<string|null>)} get
 * @property {(token: string) => (void|Promise<void>)} set
 * @property {() => (void|Promise<void>)} clear
 */

/** @returns {RefreshTokenStorage} a store that forgets the token on reload (the default). */
export function memoryStorage() {
  let token = null;
  return {
    get: () => token,
    set: (value) => {
      token = value;
    },
    clear: () => {
      token = null;
    },
  };
}

/** The default `onLogout`: to the sign-in page, coming back here afterwards. */
export function goToLogin() {
  if (typeof location === 'undefined') return;
  const next = location.pathname + location.search;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}

function readCookie(name) {
  if (typeof document === 'undefined') return null;
  for (const part of document.cookie.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return null;
}

/** The CSRF cookie under either of its names: `__Host-` prefixed when the app's cookies are
 * `Secure`, plain on local HTTP. */
export function readCsrfCookie() {
  return readCookie('__Host-csrf_token') ?? readCookie('csrf_token');
}

/** The payload of a JWT, unverified: only to learn `sid` (which session is this device). */
function jwtPayload(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, '=')));
  } catch {
    return {};
  }
}

async function errorOf(response) {
  let code = `http_${response.status}`;
  let message = response.statusText || `HTTP ${response.status}`;
  try {
    const body = await response.clone().json();
    if (body && body.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
    }
  } catch {
    // Not the contract's JSON error (a proxy's page, say): keep the status.
  }
  return new ApiError(response.status, code, message);
}

/** Whether `response` refuses the access token (not the request): then a refresh may help. */
async function refusesToken(response) {
  return response.status === 401 && REFRESH_ON.has((await errorOf(response)).code);
}

/**
 * @typedef {object} AuthClientOptions
 * @property {string} [baseUrl] origin (and optional path prefix) of the app; default: this page's
 *   origin. Paths starting with `/` given to `fetch` are resolved against it.
 * @property {'cookie'|'body'} [mode] where the refresh token travels; must match the server's
 *   `refresh_token_as_cookie` (default `'cookie'`).
 * @property {RefreshTokenStorage} [refreshTokenStorage] body mode only; default `memoryStorage()`.
 * @property {(reason: string, error: ApiError) => void} [onLogout] called when the session ends
 *   without the user asking (refresh refused, signed out in another tab); default `goToLogin`.
 * @property {number} [refreshAhead] seconds before expiry to refresh proactively (default 30;
 *   0 disables). Only used when the token lives more than twice as long.
 * @property {boolean} [crossTab] coordinate refreshes and share tokens between tabs (default: true
 *   in cookie mode, where all tabs share one session; false in body mode).
 * @property {RequestCredentials} [credentials] for the client's own auth requests (default
 *   `'same-origin'`; `'include'` for a cross-origin API in cookie mode).
 * @property {typeof fetch} [fetch] the underlying fetch (default: the global one).
 * @property {() => (string|null)} [csrfToken] reads the CSRF token (default: the
 *   `__Host-csrf_token` cookie, else the `csrf_token` cookie).
 */

/**
 * The client. Events (`addEventListener` or `on`), each a `CustomEvent` with `detail`:
 * - `login`: `{user, session, resumed?, remote?}`: signed in (here, by `resume()`, or in another tab);
 * - `refresh`: `{expiresIn, remote?}`: a new access token;
 * - `logout`: `{reason, error?}`: state cleared. `reason` is `'user'` (logout or revoking this
 *   device), `'session_ended'` (refresh refused: revoked, expired, reused) or `'remote'`.
 */
export class AuthClient extends EventTarget {
  #origin;
  #basePath;
  #mode;
  #storage;
  #onLogout;
  #refreshAhead;
  #crossTab;
  #credentials;
  #fetch;
  #csrfToken;

  /** @type {string|null} */
  #accessToken = null;
  /** @type {number|null} */
  #expiresAt = null;
  /** @type {string|null} */
  #sessionId = null;
  /** @type {User|null} */
  #user = null;
  /** Bumped on every change of token state, so a failed call knows whether to refresh. */
  #epoch = 0;
  /** Why the state was last cleared; calls that fail afterwards reject with it. */
  #endedBy = null;
  /** The refresh in flight: one for everybody. */
  #refreshing = null;
  #timer = null;
  #channel = null;

  /** @param {AuthClientOptions} [options] */
  constructor(options = {}) {
    super();
    const here = typeof location !== 'undefined' ? location.href : undefined;
    const base = new URL(options.baseUrl || '/', here);
    this.#origin = base.origin;
    this.#basePath = base.pathname.replace(/\/+$/, '');
    this.#mode = options.mode ?? 'cookie';
    if (this.#mode !== 'cookie' && this.#mode !== 'body') {
      throw new TypeError(`mode must be 'cookie' or 'body', not ${this.#mode}`);
    }
    this.#storage = options.refreshTokenStorage ?? memoryStorage();
    this.#onLogout = options.onLogout ?? goToLogin;
    this.#refreshAhead = options.refreshAhead ?? 30;
    this.#crossTab = options.crossTab ?? this.#mode === 'cookie';
    this.#credentials = options.credentials ?? 'same-origin';
    this.#fetch = options.fetch ?? ((...args) => globalThis.fetch(...args));
    this.#csrfToken = options.csrfToken ?? readCsrfCookie;
    if (this.#crossTab && typeof BroadcastChannel !== 'undefined') {
      this.#channel = new BroadcastChannel(`auth-client:${this.#origin}${this.#basePath}`);
      this.#channel.onmessage = (event) => this.#fromOtherTab(event.data);
      this.#channel.unref?.(); // Node: do not keep the process alive
    }
  }

  /**
   * Whether an access token is held (it may have expired; calls refresh it).
   * @returns {boolean}
   */
  get isAuthenticated() {
    return this.#accessToken !== null;
  }

  /**
   * The current access token, or null. Kept in memory only; prefer `fetch`.
   * @returns {string|null}
   */
  get accessToken() {
    return this.#accessToken;
  }

  /**
   * When the access token expires (ms since the epoch, by this machine's clock), or null.
   * @returns {number|null}
   */
  get expiresAt() {
    return this.#expiresAt;
  }

  /**
   * This device's session id (`sid`), or null.
   * @returns {string|null}
   */
  get sessionId() {
    return this.#sessionId;
  }

  /**
   * The user from the last `login`, `register`, `resume` or `me`, or null.
   * @returns {User|null}
   */
  get user() {
    return this.#user;
  }

  /**
   * Adds an event listener; returns a function that removes it.
   * @param {'login'|'logout'|'refresh'} type
   * @param {(event: CustomEvent) => void} listener
   * @returns {() => void}
   */
  on(type, listener) {
    this.addEventListener(type, listener);
    return () => this.removeEventListener(type, listener);
  }

  /**
   * Signs in on this device. With two-factor sign-in on, a right password resolves
   * `{mfaRequired: true, mfaToken, expiresIn}` and signs nothing in yet: pass the token and the
   * code the person types to `completeMfa`.
   * @param {string} email
   * @param {string} password
   * @returns {Promise<SignedIn|MfaRequired>} rejects with `ApiError` (`invalid_credentials`,
   *   `rate_limited`…)
   */
  async login(email, password) {
    return this.#signIn('login', { email, password });
  }

  /**
   * The second step of a sign-in with two-factor on: a code from the authenticator app, or a
   * recovery code. A wrong code rejects with `invalid_code` and the same token may be tried
   * again (five times at most); `invalid_mfa_token` means starting over with `login`.
   * @param {string} mfaToken from `login`
   * @param {string} code
   * @returns {Promise<SignedIn>} rejects with `ApiError` (`invalid_code`, `invalid_mfa_token`,
   *   `rate_limited`…)
   */
  async completeMfa(mfaToken, code) {
    return this.#signIn('mfa', { mfa_token: mfaToken, code });
  }

  /**
   * Creates an account and signs in on this device.
   * @param {{email: string, password: string, name?: string}} account
   * @returns {Promise<SignedIn>} rejects with `ApiError` (`email_taken`, `weak_password`,
   *   `invalid_email`…)
   */
  async register(account) {
    return this.#signIn('register', account);
  }

  /**
   * Picks up the session of this browser after a reload: refreshes from the refresh cookie (or
   * the stored refresh token) and loads the user. Never calls `onLogout`.
   * @returns {Promise<User|null>} the user, or null when there is no session to resume
   */
  async resume() {
    if (!this.#accessToken) {
      try {
        await this.#refresh({ quiet: true });
      } catch (error) {
        if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
          return null;
        }
        throw error;
      }
    }
    const user = await this.me();
    this.#emit('login', { user, session: null, resumed: true });
    return user;
  }

  /**
   * Signs this device out: the server revokes the session and clears the cookies. Local state is
   * cleared whatever the answer; `logout` fires with reason `'user'`; `onLogout` is not called.
   * @returns {Promise<boolean>} whether the server confirmed (false: there was nothing to end);
   *   rejects on a network error (state is cleared all the same)
   */
  async logout() {
    const headers = { Accept: 'application/json' };
    let body;
    if (this.#accessToken) headers.Authorization = `Bearer ${this.#accessToken}`;
    if (this.#mode === 'cookie') {
      const csrf = this.#csrfToken();
      if (csrf) headers['X-CSRF-Token'] = csrf;
    } else {
      const refreshToken = await this.#storage.get();
      if (refreshToken) {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify({ refresh_token: refreshToken });
      }
    }
    try {
      const response = await this.#fetch(this.#url('/api/auth/logout'), {
        method: 'POST',
        headers,
        body,
        credentials: this.#credentials,
      });
      return response.status === 204;
    } finally {
      await this.#signedOut('user', new ApiError(401, 'signed_out', 'Signed out.'));
    }
  }

  /**
   * A drop-in `fetch` for the app's API: adds the Bearer token (same origin only) and the CSRF
   * header on unsafe methods; on a `401` `token_expired` or `unauthorized` refreshes once (shared
   * with every concurrent call) and retries once; any other answer, other `401`s included
   * (`invalid_credentials` from a password change), is returned as is. Resolves with the
   * `Response` like `fetch` does; rejects when the session could not be refreshed (`ApiError`) or
   * on a network error. Requests to other origins, requests that carry their own
   * `Authorization`, and the auth endpoints pass through without any of that.
   * @param {RequestInfo|URL} input
   * @param {RequestInit} [init]
   * @returns {Promise<Response>}
   */
  async fetch(input, init) {
    const template = new Request(this.#resolve(input), init);
    if (new URL(template.url).origin !== this.#origin || template.headers.has('Authorization')) {
      return this.#fetch(template);
    }
    if (this.#isAuthEndpoint(template.url)) return this.#send(template).response;
    // Queue behind a refresh in flight rather than spend a request on a token known to be stale.
    if (this.#refreshing) await this.#refreshing;
    const first = this.#send(template);
    const response = await first.response;
    if (!(await refusesToken(response))) return response;
    await this.#tokenNewerThan(first.epoch);
    return this.#send(template).response;
  }

  /**
   * The signed-in user, loaded from the database (`GET /api/auth/me`).
   * @returns {Promise<User>}
   */
  async me() {
    const { user } = await this.#json('/api/auth/me');
    this.#user = user;
    return user;
  }

  /**
   * This user's live sessions, most recently used first; this device's has `current: true`.
   * @returns {Promise<Session[]>}
   */
  async sessions() {
    const { sessions } = await this.#json('/api/sessions');
    return sessions;
  }

  /**
   * Revokes one session (another device, or this one: then this is a logout).
   * @param {string} sessionId
   * @returns {Promise<void>} rejects with `ApiError` `not_found` for unknown or foreign ids
   */
  async revoke(sessionId) {
    await this.#json(`/api/sessions/${encodeURIComponent(sessionId)}`, { method: 'DELETE' });
    if (sessionId === this.#sessionId) {
      await this.#signedOut('user', new ApiError(401, 'signed_out', 'This device was revoked.'));
    }
  }

  /**
   * Signs out every other device of this user.
   * @returns {Promise<number>} how many sessions were revoked
   */
  async revokeOthers() {
    const { revoked } = await this.#json('/api/sessions', { method: 'DELETE' });
    return revoked;
  }

  /**
   * Renames the account (`PATCH /api/account`).
   * @param {string} name up to 100 characters; may be empty
   * @returns {Promise<User>} the renamed user; rejects with `ApiError` `invalid_input`
   */
  async rename(name) {
    const { user } = await this.#sendJson('/api/account', 'PATCH', { name });
    this.#user = user;
    return user;
  }

  /**
   * Starts moving the account to a new address (`POST /api/account/email`): a link goes to the
   * new address, and nothing changes until it is followed. Needs recent authentication.
   * @param {string} email the new address
   * @param {string} password the current password
   * @returns {Promise<void>} rejects with `ApiError` `invalid_credentials`, `email_taken`,
   *   `invalid_email`, `reauth_required` or `rate_limited`
   */
  async changeEmail(email, password) {
    await this.#sendJson('/api/account/email', 'POST', { email, password });
  }

  /**
   * Deletes the account (`DELETE /api/account`); this device is then signed out. Needs recent
   * authentication.
   * @param {string} password the current password
   * @returns {Promise<void>} rejects with `ApiError` `invalid_credentials` or `reauth_required`
   */
  async deleteAccount(password) {
    await this.#sendJson('/api/account', 'DELETE', { password });
    await this.#signedOut('user', new ApiError(401, 'signed_out', 'The account was deleted.'));
  }

  /**
   * Everything stored about the signed-in user (`GET /api/account/export`): the user, every
   * session, every security event, the second factor's state; no secrets. Needs recent
   * authentication.
   * @returns {Promise<AccountExport>}
   */
  async exportAccount() {
    return this.#json('/api/account/export');
  }

  /**
   * Gets a new access token now. Concurrent calls share one request.
   * @returns {Promise<string>} the new access token; rejects with `ApiError` when the server
   *   refuses (the session ended: state cleared, `onLogout` called) or with the network error.
   */
  refresh() {
    return this.#refresh({ quiet: false });
  }

  /** Stops the proactive-refresh timer and leaves the cross-tab channel. */
  close() {
    clearTimeout(this.#timer);
    this.#channel?.close();
    this.#channel = null;
  }

  // ---- internals ------------------------------------------------------------------------------

  #url(path) {
    return `${this.#origin}${this.#basePath}${path}`;
  }

  #resolve(input) {
    if (typeof input === 'string' && input.startsWith('/') && !input.startsWith('//')) {
      return this.#url(input);
    }
    if (typeof input === 'string' && typeof location === 'undefined') {
      return new URL(input, this.#url('/')).href;
    }
    return input;
  }

  #isAuthEndpoint(url) {
    const { pathname } = new URL(url);
    return AUTH_ENDPOINTS.some((name) => pathname === `${this.#basePath}/api/auth/${name}`);
  }

  /** Sends a copy of the request with the current token; `epoch` says which token that was. */
  #send(template) {
    const request = template.clone();
    if (this.#accessToken) request.headers.set('Authorization', `Bearer ${this.#accessToken}`);
    if (UNSAFE_METHODS.has(request.method) && !request.headers.has('X-CSRF-Token')) {
      const csrf = this.#csrfToken();
      if (csrf) request.headers.set('X-CSRF-Token', csrf);
    }
    return { epoch: this.#epoch, response: this.#fetch(request) };
  }

  /**
   * After a 401 with the token of `epoch`: the newer token, refreshing only if nobody has since
   * (`refresh()` joins a refresh in flight).
   */
  async #tokenNewerThan(epoch) {
    if (this.#epoch !== epoch) {
      if (this.#accessToken) return this.#accessToken;
      if (this.#endedBy) throw this.#endedBy;
    }
    return this.refresh();
  }

  #refresh({ quiet }) {
    if (!this.#refreshing) {
      this.#refreshing = this.#refreshAcrossTabs(quiet).finally(() => {
        this.#refreshing = null;
      });
    }
    return this.#refreshing;
  }

  async #refreshAcrossTabs(quiet) {
    const epoch = this.#epoch;
    const run = async () => {
      // Another tab may have refreshed while this one waited for the lock.
      if (this.#epoch !== epoch && this.#accessToken) return this.#accessToken;
      return this.#requestRefresh(quiet);
    };
    const locks = this.#crossTab ? globalThis.navigator?.locks : undefined;
    if (!locks) return run();
    return locks.request(`auth-client-refresh:${this.#origin}${this.#basePath}`, run);
  }

  async #requestRefresh(quiet) {
    const headers = { Accept: 'application/json' };
    let body;
    if (this.#mode === 'body') {
      const refreshToken = await this.#storage.get();
      if (!refreshToken) {
        const error = new ApiError(401, 'invalid_refresh_token', 'No refresh token is stored.');
        return this.#sessionEnded(error, quiet);
      }
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify({ refresh_token: refreshToken });
    }
    for (let attempt = 1; ; attempt += 1) {
      const csrf = this.#mode === 'cookie' ? this.#csrfToken() : null;
      if (csrf) headers['X-CSRF-Token'] = csrf;
      // A network error propagates from here: the session may be fine, so it is not a logout.
      const response = await this.#fetch(this.#url('/api/auth/refresh'), {
        method: 'POST',
        headers,
        body,
        credentials: this.#credentials,
      });
      if (response.ok) {
        await this.#accept(await response.json(), 'refresh');
        return this.#accessToken;
      }
      const error = await errorOf(response);
      // A missing CSRF cookie is issued with the refusal: one more try with it.
      if (error.code === 'csrf_failed' && attempt === 1 && this.#csrfToken() !== csrf) continue;
      if (response.status === 401 || response.status === 403) {
        return this.#sessionEnded(error, quiet);
      }
      throw error; // 429, 5xx: transient; keep the session
    }
  }

  async #sessionEnded(error, quiet) {
    await this.#clear(error);
    if (!quiet) {
      this.#broadcast({ type: 'logout' });
      this.#emit('logout', { reason: 'session_ended', error });
      this.#callOnLogout('session_ended', error);
    }
    throw error;
  }

  async #signedOut(reason, error) {
    await this.#clear(error);
    this.#broadcast({ type: 'logout' });
    this.#emit('logout', { reason });
  }

  async #clear(error) {
    clearTimeout(this.#timer);
    this.#accessToken = null;
    this.#expiresAt = null;
    this.#sessionId = null;
    this.#user = null;
    this.#epoch += 1;
    this.#endedBy = error;
    if (this.#mode === 'body') await this.#storage.clear();
  }

  #callOnLogout(reason, error) {
    try {
      this.#onLogout(reason, error);
    } catch (hookError) {
      queueMicrotask(() => {
        throw hookError;
      });
    }
  }

  async #signIn(endpoint, credentials) {
    const response = await this.#fetch(this.#url(`/api/auth/${endpoint}`), {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify(credentials),
      credentials: this.#credentials,
    });
    if (!response.ok) throw await errorOf(response);
    const answer = await response.json();
    if (response.status === 202 && answer.mfa_required) {
      return { mfaRequired: true, mfaToken: answer.mfa_token, expiresIn: answer.expires_in };
    }
    await this.#accept(answer, 'login');
    return { user: answer.user, session: answer.session };
  }

  /** Takes a token answer (login, register, refresh) as the new state. */
  async #accept(answer, kind) {
    if (this.#mode === 'body' && answer.refresh_token) {
      await this.#storage.set(answer.refresh_token);
    }
    this.#adopt(answer.access_token, Date.now() + answer.expires_in * 1000);
    if (kind === 'login') this.#user = answer.user ?? null;
    this.#broadcast({
      type: 'tokens',
      kind,
      accessToken: this.#accessToken,
      expiresAt: this.#expiresAt,
      user: this.#user,
    });
    if (kind === 'login') {
      this.#emit('login', { user: answer.user, session: answer.session });
    } else {
      this.#emit('refresh', { expiresIn: answer.expires_in });
    }
  }

  #adopt(accessToken, expiresAt) {
    this.#accessToken = accessToken;
    this.#expiresAt = expiresAt;
    this.#sessionId = jwtPayload(accessToken).sid ?? null;
    this.#epoch += 1;
    this.#endedBy = null;
    this.#schedule();
  }

  /** Proactive refresh `refreshAhead` seconds before expiry, with jitter so tabs do not align. */
  #schedule() {
    clearTimeout(this.#timer);
    const ahead = this.#refreshAhead * 1000;
    const left = this.#expiresAt - Date.now();
    if (!(ahead > 0) || left <= 2 * ahead) return;
    const delay = left - ahead - Math.random() * Math.min(5000, ahead / 2);
    this.#timer = setTimeout(() => this.refresh().catch(() => {}), delay);
    this.#timer?.unref?.();
  }

  #broadcast(message) {
    this.#channel?.postMessage(message);
  }

  #fromOtherTab(message) {
    if (message?.type === 'tokens' && typeof message.accessToken === 'string') {
      const wasSignedIn = this.#accessToken !== null;
      this.#adopt(message.accessToken, message.expiresAt);
      if (message.user) this.#user = message.user;
      if (message.kind === 'login' || !wasSignedIn) {
        this.#emit('login', { user: this.#user, session: null, remote: true });
      } else {
        this.#emit('refresh', { expiresIn: (message.expiresAt - Date.now()) / 1000, remote: true });
      }
    } else if (message?.type === 'logout' && this.#accessToken !== null) {
      const error = new ApiError(401, 'signed_out', 'Signed out in another tab.');
      this.#clear(error).then(() => {
        this.#emit('logout', { reason: 'remote', error });
        this.#callOnLogout('remote', error);
      });
    }
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  async #sendJson(path, method, body) {
    return this.#json(path, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  async #json(path, init) {
    const response = await this.fetch(path, {
      ...init,
      headers: { Accept: 'application/json', ...init?.headers },
    });
    if (!response.ok) throw await errorOf(response);
    // 202 and 204 carry no body here (a mail on its way, a change done).
    return response.status === 204 || response.status === 202 ? {} : response.json();
  }
}
