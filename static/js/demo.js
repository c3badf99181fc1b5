// The JS client demo (static/demo/index.html): sign in through the client, call /api/auth/me,
// and a live table of this user's devices. Everything the page shows comes from the client's
// promises and events; user data is written with textContent only.

import { AuthClient } from '/static/js/auth-client.js';

const SESSIONS_POLL_MS = 5000;
const $ = (selector) => document.querySelector(selector);

const auth = new AuthClient({
  // The template's default sends the browser to /login?next=…; this page has its own form.
  onLogout: (reason) => showSignedOut(`Your session ended (${reason}). Please sign in again.`),
});

let pollTimer = null;

function logEvent(text) {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  $('#events').prepend(item);
}

auth.on('login', (e) => logEvent(`login${e.detail.resumed ? ' (resumed)' : ''}${e.detail.remote ? ' (other tab)' : ''}`));
auth.on('refresh', (e) => logEvent(`refresh${e.detail.remote ? ' (other tab)' : ''}: token valid ${Math.round(e.detail.expiresIn)} s`));
auth.on('logout', (e) => {
  logEvent(`logout: ${e.detail.reason}`);
  if (e.detail.reason !== 'session_ended') showSignedOut(e.detail.reason === 'remote' ? 'Signed out in another tab.' : '');
});
auth.on('login', () => showSignedIn());

function showError(selector, error) {
  const element = $(selector);
  element.textContent = error ? error.message : '';
  element.hidden = !error;
}

function showSignedIn() {
  const { user } = auth;
  $('#status').textContent = user ? `Signed in as ${user.email}` : 'Signed in';
  $('#signin').hidden = true;
  $('#account').hidden = false;
  showError('#signin-error', null);
  $('#notice').hidden = true;
  loadSessions();
  clearInterval(pollTimer);
  pollTimer = setInterval(() => {
    if (document.visibilityState === 'visible') loadSessions();
  }, SESSIONS_POLL_MS);
}

function showSignedOut(notice) {
  clearInterval(pollTimer);
  $('#status').textContent = 'Signed out';
  $('#account').hidden = true;
  $('#signin').hidden = false;
  $('#me-output').textContent = '';
  $('#sessions tbody').replaceChildren();
  $('#notice').textContent = notice ?? '';
  $('#notice').hidden = !notice;
}

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text ?? '';
  return td;
}

function sessionRow(session) {
  const row = document.createElement('tr');
  row.dataset.sessionId = session.id;
  if (session.current) row.classList.add('current');
  const device = cell(session.device);
  if (session.current) {
    const tag = document.createElement('span');
    tag.className = 'tag';
    tag.textContent = 'this device';
    device.append(tag);
  }
  const browser = [session.browser, session.browser_version].filter(Boolean).join(' ');
  const actions = document.createElement('td');
  const revoke = document.createElement('button');
  revoke.type = 'button';
  revoke.className = 'revoke';
  revoke.textContent = session.current ? 'Sign out' : 'Revoke';
  revoke.addEventListener('click', () => run('#account-error', async () => {
    await auth.revoke(session.id);
    if (auth.isAuthenticated) await loadSessions();
  }));
  actions.append(revoke);
  row.append(
    device,
    cell(browser),
    cell(session.os),
    cell(session.ip),
    cell(new Date(session.last_used_at).toLocaleString()),
    actions,
  );
  return row;
}

async function loadSessions() {
  try {
    const sessions = await auth.sessions();
    $('#sessions tbody').replaceChildren(...sessions.map(sessionRow));
    showError('#account-error', null);
  } catch (error) {
    // A lost session is handled by onLogout; anything else is shown.
    if (auth.isAuthenticated) showError('#account-error', error);
  }
}

/** Runs an action, showing its error under `errorSelector`. */
async function run(errorSelector, action) {
  try {
    showError(errorSelector, null);
    await action();
  } catch (error) {
    showError(errorSelector, error);
  }
}

function credentials() {
  return { email: $('#email').value.trim(), password: $('#password').value };
}

/** The ticket between a right password and the code, with two-factor sign-in on. */
let mfaToken = null;

$('#signin-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const { email, password } = credentials();
  run('#signin-error', async () => {
    const answer = await auth.login(email, password);
    if (answer.mfaRequired) {
      mfaToken = answer.mfaToken;
      $('#mfa-form').hidden = false;
      $('#mfa-code').focus();
    }
  });
});

$('#mfa-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run('#mfa-error', async () => {
    await auth.completeMfa(mfaToken, $('#mfa-code').value.trim());
    mfaToken = null;
    $('#mfa-form').hidden = true;
    $('#mfa-code').value = '';
  });
});

$('#register-button').addEventListener('click', () => {
  if (!$('#signin-form').reportValidity()) return;
  run('#signin-error', () => auth.register(credentials()));
});

$('#call-me').addEventListener('click', () => run('#account-error', async () => {
  $('#me-output').textContent = '…';
  const user = await auth.me();
  $('#me-output').textContent = JSON.stringify(user, null, 2);
}));

$('#logout').addEventListener('click', () => run('#account-error', () => auth.logout()));

$('#revoke-others').addEventListener('click', () => run('#account-error', async () => {
  const revoked = await auth.revokeOthers();
  logEvent(`signed out ${revoked} other device${revoked === 1 ? '' : 's'}`);
  await loadSessions();
}));

// A reload loses the in-memory access token: pick the session up from the refresh cookie.
auth.resume().then(
  (user) => {
    if (!user) showSignedOut();
  },
  (error) => {
    showSignedOut(`Could not reach the server: ${error.message}`);
  },
);
