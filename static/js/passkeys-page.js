/**
 * passkeys-page.js: the passkey buttons of the server-rendered pages (no inline script: the CSP
 * allows scripts from this origin only). Each page marks what it offers with data attributes:
 *
 * - `/login`: `[data-passkey-sign-in]` (a button), the email field with
 *   `autocomplete="username webauthn"` (the browser's autofill offers passkeys there: conditional
 *   mediation), and `[data-passkey-next]` (where to go once signed in);
 * - `/login/mfa`: `[data-passkey-second-step]`, the second step with a passkey instead of a code;
 * - `/account`: `[data-passkey-add]` with `data-csrf`, and an optional `[data-passkey-name]` field.
 *
 * Messages go to `[data-passkey-message]`. Without passkey support the buttons stay hidden.
 *
 * @module passkeys-page
 */

import { autofillSupported, createPasskey, getPasskey, passkeysSupported } from './passkeys.js';

const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json' };

/** @param {string} text */
function say(text) {
  const box = document.querySelector('[data-passkey-message]');
  if (!box) return;
  box.textContent = text;
  box.hidden = !text;
}

/**
 * POSTs JSON to this origin; resolves with the answer's JSON, rejects with its error message.
 * @param {string} url
 * @param {unknown} [body]
 * @param {Record<string, string>} [headers]
 */
async function post(url, body, headers = {}) {
  const response = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { ...JSON_HEADERS, ...headers },
    body: JSON.stringify(body ?? {}),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(answer?.error?.message ?? `The server answered ${response.status}.`);
    /** @type {any} */ (error).code = answer?.error?.code;
    throw error;
  }
  return answer;
}

/** A DOMException of the ceremony, in words; `''` when the person cancelled. */
function ceremonyMessage(error) {
  if (error?.name === 'NotAllowedError' || error?.name === 'AbortError') return '';
  if (error?.name === 'InvalidStateError') return 'This device already holds one of your passkeys.';
  return error?.message ?? 'That did not work.';
}

function next() {
  return document.querySelector('[data-passkey-next]')?.getAttribute('data-passkey-next') || '/';
}

/** `/login`: the button, and passkeys offered in the email field's autofill. */
function signInPage(button) {
  let autofill = null;

  async function finish(started, credential) {
    const { location: to } = await post('/login/passkey', {
      challenge_id: started.challenge_id,
      credential,
      next: next(),
    });
    window.location.assign(to);
  }

  async function offerInAutofill() {
    if (!(await autofillSupported())) return;
    autofill = new AbortController();
    const { signal } = autofill;
    try {
      const started = await post('/api/auth/passkey/start');
      const credential = await getPasskey(started.options, { mediation: 'conditional', signal });
      await finish(started, credential);
    } catch (error) {
      if (!signal.aborted) say(ceremonyMessage(error));
    }
  }

  button.hidden = false;
  button.addEventListener('click', async () => {
    autofill?.abort();
    say('');
    button.disabled = true;
    try {
      const started = await post('/api/auth/passkey/start');
      await finish(started, await getPasskey(started.options));
    } catch (error) {
      say(ceremonyMessage(error));
    } finally {
      button.disabled = false;
    }
  });
  void offerInAutofill();
}

/** `/login/mfa`: a passkey in place of the code. */
function secondStepPage(button) {
  button.hidden = false;
  button.addEventListener('click', async () => {
    say('');
    button.disabled = true;
    try {
      const started = await post('/login/mfa/passkey/start');
      const credential = await getPasskey(started.options);
      const { location: to } = await post('/login/mfa/passkey', {
        challenge_id: started.challenge_id,
        credential,
        next: next(),
      });
      window.location.assign(to);
    } catch (error) {
      say(ceremonyMessage(error));
    } finally {
      button.disabled = false;
    }
  });
}

/** `/account`: add a passkey (recently signed in, or via `/reauth` first). */
function accountPage(button) {
  const csrf = { 'X-CSRF-Token': button.getAttribute('data-csrf') ?? '' };
  button.hidden = false;
  button.addEventListener('click', async () => {
    say('');
    button.disabled = true;
    try {
      const started = await post('/account/passkeys/start', {}, csrf);
      const credential = await createPasskey(started.options);
      const field = /** @type {HTMLInputElement|null} */ (document.querySelector('[data-passkey-name]'));
      const name = field?.value.trim() || undefined;
      await post('/account/passkeys/finish', { challenge_id: started.challenge_id, credential, name }, csrf);
      window.history.replaceState(null, '', '/account#passkeys');
      window.location.reload();
    } catch (error) {
      if (/** @type {any} */ (error)?.code === 'reauth_required') {
        window.location.assign(`/reauth?next=${encodeURIComponent('/account#passkeys')}`);
        return;
      }
      say(ceremonyMessage(error));
    } finally {
      button.disabled = false;
    }
  });
}

if (passkeysSupported()) {
  const signIn = document.querySelector('[data-passkey-sign-in]');
  const secondStep = document.querySelector('[data-passkey-second-step]');
  const add = document.querySelector('[data-passkey-add]');
  if (signIn) signInPage(signIn);
  if (secondStep) secondStepPage(secondStep);
  if (add) accountPage(add);
} else {
  say('');
}
