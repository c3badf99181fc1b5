// The JS client finds the CSRF cookie under either name: `__Host-csrf_token` when the app's
// cookies are Secure (HTTPS), `csrf_token` on local plain HTTP. Node's test runner, no browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { readCsrfCookie } from '../../static/js/auth-client.js';

function withCookies(cookie, body) {
  const saved = globalThis.document;
  globalThis.document = { cookie };
  try {
    return body();
  } finally {
    globalThis.document = saved;
  }
}

test('the CSRF cookie is read under its __Host- name over HTTPS', () => {
  const token = withCookies('theme=dark; __Host-csrf_token=abc.def; other=1', readCsrfCookie);
  assert.equal(token, 'abc.def');
});

test('the CSRF cookie is read under its plain name on local HTTP', () => {
  assert.equal(withCookies('csrf_token=plain.token', readCsrfCookie), 'plain.token');
});

test('the __Host- name wins when both are present, and none is null', () => {
  assert.equal(withCookies('csrf_token=old; __Host-csrf_token=new', readCsrfCookie), 'new');
  assert.equal(withCookies('x_csrf_token=no; csrf_token_x=no', readCsrfCookie), null);
});
