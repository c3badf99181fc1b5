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
export function memoryStorage(): RefreshTokenStorage;
/** The default `onLogout`: to the sign-in page, coming back here afterwards. */
export function goToLogin(): void;
/** The CSRF cookie under either of its names: `__Host-` prefixed when the app's cookies are
 * `Secure`, plain on local HTTP. */
export function readCsrfCookie(): string;
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
    constructor(status: number, code: string, message: string);
    status: number;
    code: string;
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
    /** @param {AuthClientOptions} [options] */
    constructor(options?: AuthClientOptions);
    /**
     * Whether an access token is held (it may have expired; calls refresh it).
     * @returns {boolean}
     */
    get isAuthenticated(): boolean;
    /**
     * The current access token, or null. Kept in memory only; prefer `fetch`.
     * @returns {string|null}
     */
    get accessToken(): string | null;
    /**
     * When the access token expires (ms since the epoch, by this machine's clock), or null.
     * @returns {number|null}
     */
    get expiresAt(): number | null;
    /**
     * This device's session id (`sid`), or null.
     * @returns {string|null}
     */
    get sessionId(): string | null;
    /**
     * The user from the last `login`, `register`, `resume` or `me`, or null.
     * @returns {User|null}
     */
    get user(): User | null;
    /**
     * Adds an event listener; returns a function that removes it.
     * @param {'login'|'logout'|'refresh'} type
     * @param {(event: CustomEvent) => void} listener
     * @returns {() => void}
     */
    on(type: "login" | "logout" | "refresh", listener: (event: CustomEvent) => void): () => void;
    /**
     * Signs in on this device. With two-factor sign-in on, a right password resolves
     * `{mfaRequired: true, mfaToken, expiresIn}` and signs nothing in yet: pass the token and the
     * code the person types to `completeMfa`.
     * @param {string} email
     * @param {string} password
     * @returns {Promise<SignedIn|MfaRequired>} rejects with `ApiError` (`invalid_credentials`,
     *   `rate_limited`…)
     */
    login(email: string, password: string): Promise<SignedIn | MfaRequired>;
    /**
     * The second step of a sign-in with two-factor on: a code from the authenticator app, or a
     * recovery code. A wrong code rejects with `invalid_code` and the same token may be tried
     * again (five times at most); `invalid_mfa_token` means starting over with `login`.
     * @param {string} mfaToken from `login`
     * @param {string} code
     * @returns {Promise<SignedIn>} rejects with `ApiError` (`invalid_code`, `invalid_mfa_token`,
     *   `rate_limited`…)
     */
    completeMfa(mfaToken: string, code: string): Promise<SignedIn>;
    /**
     * Creates an account and signs in on this device.
     * @param {{email: string, password: string, name?: string}} account
     * @returns {Promise<SignedIn>} rejects with `ApiError` (`email_taken`, `weak_password`,
     *   `invalid_email`…)
     */
    register(account: {
        email: string;
        password: string;
        name?: string;
    }): Promise<SignedIn>;
    /**
     * Picks up the session of this browser after a reload: refreshes from the refresh cookie (or
     * the stored refresh token) and loads the user. Never calls `onLogout`.
     * @returns {Promise<User|null>} the user, or null when there is no session to resume
     */
    resume(): Promise<User | null>;
    /**
     * Signs this device out: the server revokes the session and clears the cookies. Local state is
     * cleared whatever the answer; `logout` fires with reason `'user'`; `onLogout` is not called.
     * @returns {Promise<boolean>} whether the server confirmed (false: there was nothing to end);
     *   rejects on a network error (state is cleared all the same)
     */
    logout(): Promise<boolean>;
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
    fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
    /**
     * The signed-in user, loaded from the database (`GET /api/auth/me`).
     * @returns {Promise<User>}
     */
    me(): Promise<User>;
    /**
     * This user's live sessions, most recently used first; this device's has `current: true`.
     * @returns {Promise<Session[]>}
     */
    sessions(): Promise<Session[]>;
    /**
     * Revokes one session (another device, or this one: then this is a logout).
     * @param {string} sessionId
     * @returns {Promise<void>} rejects with `ApiError` `not_found` for unknown or foreign ids
     */
    revoke(sessionId: string): Promise<void>;
    /**
     * Signs out every other device of this user.
     * @returns {Promise<number>} how many sessions were revoked
     */
    revokeOthers(): Promise<number>;
    /**
     * Renames the account (`PATCH /api/account`).
     * @param {string} name up to 100 characters; may be empty
     * @returns {Promise<User>} the renamed user; rejects with `ApiError` `invalid_input`
     */
    rename(name: string): Promise<User>;
    /**
     * Starts moving the account to a new address (`POST /api/account/email`): a link goes to the
     * new address, and nothing changes until it is followed. Needs recent authentication.
     * @param {string} email the new address
     * @param {string} password the current password
     * @returns {Promise<void>} rejects with `ApiError` `invalid_credentials`, `email_taken`,
     *   `invalid_email`, `reauth_required` or `rate_limited`
     */
    changeEmail(email: string, password: string): Promise<void>;
    /**
     * Deletes the account (`DELETE /api/account`); this device is then signed out. Needs recent
     * authentication.
     * @param {string} password the current password
     * @returns {Promise<void>} rejects with `ApiError` `invalid_credentials` or `reauth_required`
     */
    deleteAccount(password: string): Promise<void>;
    /**
     * Everything stored about the signed-in user (`GET /api/account/export`): the user, every
     * session, every security event, the second factor's state; no secrets. Needs recent
     * authentication.
     * @returns {Promise<AccountExport>}
     */
    exportAccount(): Promise<AccountExport>;
    /**
     * Gets a new access token now. Concurrent calls share one request.
     * @returns {Promise<string>} the new access token; rejects with `ApiError` when the server
     *   refuses (the session ended: state cleared, `onLogout` called) or with the network error.
     */
    refresh(): Promise<string>;
    /** Stops the proactive-refresh timer and leaves the cross-tab channel. */
    close(): void;
    #private;
}
/**
 * A user as the API shows it (`User` in `/api/openapi.json`).
 */
export type User = {
    /**
     * the user id, as a string
     */
    id: string;
    email: string;
    /**
     * may be empty
     */
    name: string;
    role: "user" | "admin";
    /**
     * RFC 3339, UTC
     */
    created_at: string;
    /**
     * a link mailed to the address was followed
     */
    email_verified: boolean;
    /**
     * two-factor sign-in (TOTP) is on
     */
    mfa_enabled: boolean;
};
/**
 * A signed-in device (`Session` in `/api/openapi.json`).
 */
export type Session = {
    id: string;
    /**
     * whether it is this device's session
     */
    current: boolean;
    browser: string;
    browser_version: string;
    os: string;
    /**
     * `pc`, `smartphone`, `mobilephone`, `appliance`, `crawler`, `misc`
     * or `UNKNOWN`
     */
    device: string;
    user_agent: string;
    ip: string | null;
    /**
     * signed in with a second factor
     */
    mfa: boolean;
    /**
     * how it signed in: `password`, `password+totp`, `password+recovery`,
     * `password+passkey`, `passkey`, `oidc:{provider}` (and `+totp`… after a second step)
     */
    method: string;
    /**
     * RFC 3339, UTC
     */
    created_at: string;
    /**
     * RFC 3339, UTC
     */
    last_used_at: string;
    /**
     * RFC 3339, UTC
     */
    expires_at: string;
};
/**
 * What signing in or up resolves with.
 */
export type SignedIn = {
    user: User;
    /**
     * this device's new session
     */
    session: Session;
};
/**
 * What `login` resolves with when two-factor sign-in is on: no session yet; pass `mfaToken` and
 * a code to `completeMfa`.
 */
export type MfaRequired = {
    mfaRequired: true;
    /**
     * the ticket for the second step
     */
    mfaToken: string;
    /**
     * seconds until the ticket expires
     */
    expiresIn: number;
};
/**
 * Everything stored about the user, without secrets.
 */
export type AccountExport = {
    /**
     * RFC 3339, UTC
     */
    exported_at: string;
    user: User & {
        active: boolean;
    };
    /**
     * every session, newest first
     */
    sessions: Array<Session & {
        revoked_at: string | null;
    }>;
    /**
     * every security event, newest first
     */
    events: Array<object>;
    mfa: {
        enabled: boolean;
        recovery_codes_left: number;
    };
    passkeys: Array<object>;
    identities: Array<object>;
};
/**
 * Where body mode keeps the refresh token. Methods may be
 *   async. Memory is the default; anything that survives a reload is readable by scripts, so
 *   choose with care (sessionStorage is per tab; localStorage is exposed to every script).
 */
export type RefreshTokenStorage = {
    get: () => (string | null | Promise<string | null>);
    set: (token: string) => (void | Promise<void>);
    clear: () => (void | Promise<void>);
};
export type AuthClientOptions = {
    /**
     * origin (and optional path prefix) of the app; default: this page's
     * origin. Paths starting with `/` given to `fetch` are resolved against it.
     */
    baseUrl?: string;
    /**
     * where the refresh token travels; must match the server's
     * `refresh_token_as_cookie` (default `'cookie'`).
     */
    mode?: "cookie" | "body";
    /**
     * body mode only; default `memoryStorage()`.
     */
    refreshTokenStorage?: RefreshTokenStorage;
    /**
     * called when the session ends
     * without the user asking (refresh refused, signed out in another tab); default `goToLogin`.
     */
    onLogout?: (reason: string, error: ApiError) => void;
    /**
     * seconds before expiry to refresh proactively (default 30;
     * 0 disables). Only used when the token lives more than twice as long.
     */
    refreshAhead?: number;
    /**
     * coordinate refreshes and share tokens between tabs (default: true
     * in cookie mode, where all tabs share one session; false in body mode).
     */
    crossTab?: boolean;
    /**
     * for the client's own auth requests (default
     * `'same-origin'`; `'include'` for a cross-origin API in cookie mode).
     */
    credentials?: RequestCredentials;
    /**
     * the underlying fetch (default: the global one).
     */
    fetch?: typeof fetch;
    /**
     * reads the CSRF token (default: the
     * `__Host-csrf_token` cookie, else the `csrf_token` cookie).
     */
    csrfToken?: () => (string | null);
};
