// A small OpenID Provider the tests control, for the refusals: it answers every authorization
// request at once (no login page) and its token endpoint hands out the ID token the test asked
// for: another audience, another issuer, expired, a wrong nonce, a bad signature, `alg: none`...
// The certified provider (provider.mjs) never makes such tokens; this one exists to make them.
//
//   node fake-provider.mjs [port]            (0, the default, picks a free port)
//
// Prints one JSON line once listening: {"issuer": "http://127.0.0.1:PORT"}.
// Control (JSON body, merged into the current settings; answers them back):
//   POST /control {"mode": "good" | "other_audience" | "other_issuer" | "expired" | "wrong_nonce"
//                  | "bad_signature" | "alg_none" | "unknown_kid" | "other_azp" | "hs256",
//                  "sub", "email", "email_verified", "name", "rotate_key": true,
//                  "reuse_codes": true (codes work more than once)}
//   GET /log    every request seen: [{method, path, authorization: bool, body_has_secret: bool}]
// Client: "template" / "template-secret" (client_secret_basic), any redirect URI.
import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';

import { SignJWT, exportJWK, generateKeyPair } from 'jose';

const CLIENT_ID = 'template';
const CLIENT_SECRET = 'template-secret';
const port = Number(process.argv[2] ?? process.env.OIDC_PORT ?? 0);

let settings = {
  mode: 'good', sub: 'fake-sub-1', email: 'person@example.test', email_verified: true, name: 'Person',
};
const codes = new Map();
const log = [];

async function newKey() {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomBytes(6).toString('hex');
  return { privateKey, kid, jwk: { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' } };
}
let key = await newKey();
// Never published: signs the `bad_signature` (under the published kid) and `unknown_kid` tokens.
const strangerKey = await newKey();

const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

async function idToken(issuer, { nonce }) {
  const now = Math.floor(Date.now() / 1000);
  const { mode } = settings;
  const claims = {
    sub: settings.sub,
    email: settings.email,
    email_verified: settings.email_verified,
    name: settings.name,
    nonce: mode === 'wrong_nonce' ? 'not-the-nonce-you-sent' : nonce,
  };
  if (mode === 'other_azp') claims.azp = 'another-client';
  // `other_azp`: our audience, but authorized for another party (the aud check alone passes it).
  const aud = mode === 'other_audience' ? 'another-client' : CLIENT_ID;
  const iss = mode === 'other_issuer' ? 'https://issuer.example.net' : issuer;
  const [iat, exp] = mode === 'expired' ? [now - 7200, now - 3600] : [now, now + 600];
  if (mode === 'alg_none') {
    return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ ...claims, iss, aud, iat, exp })}.`;
  }
  if (mode === 'hs256') {
    // Signed with the client secret: valid HMAC, but an algorithm discovery never offered.
    return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(iss).setAudience(aud).setIssuedAt(iat).setExpirationTime(exp)
      .sign(new TextEncoder().encode(CLIENT_SECRET));
  }
  const signer = mode === 'bad_signature' || mode === 'unknown_kid' ? strangerKey : key;
  const kid = mode === 'unknown_kid' ? strangerKey.kid : key.kid;
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
    .setIssuer(iss).setAudience(aud).setIssuedAt(iat).setExpirationTime(exp)
    .sign(signer.privateKey);
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString()));
  });
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

const server = createServer(async (req, res) => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const url = new URL(req.url, issuer);
  const body = await readBody(req);
  log.push({
    method: req.method,
    path: url.pathname,
    authorization: Boolean(req.headers.authorization),
    body_has_secret: body.includes(CLIENT_SECRET) || url.search.includes(CLIENT_SECRET),
  });
  try {
    if (url.pathname === '/.well-known/openid-configuration') {
      return send(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
        scopes_supported: ['openid', 'email', 'profile'],
      });
    }
    if (url.pathname === '/jwks') return send(res, 200, { keys: [key.jwk] });
    if (url.pathname === '/authorize') {
      const p = url.searchParams;
      if (p.get('client_id') !== CLIENT_ID || p.get('code_challenge_method') !== 'S256'
        || !p.get('code_challenge') || !p.get('state') || !p.get('nonce')) {
        return send(res, 400, { error: 'invalid_request' });
      }
      const code = randomBytes(16).toString('hex');
      codes.set(code, { nonce: p.get('nonce'), challenge: p.get('code_challenge'), redirect: p.get('redirect_uri') });
      const back = new URL(p.get('redirect_uri'));
      back.searchParams.set('code', code);
      back.searchParams.set('state', p.get('state'));
      res.writeHead(303, { location: back.toString() });
      return res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      const expected = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
      if (req.headers.authorization !== expected) return send(res, 401, { error: 'invalid_client' });
      const form = new URLSearchParams(body);
      const grant = codes.get(form.get('code'));
      // A real provider spends a code once; `reuse_codes` lets a test see the app refuse a
      // replayed callback by itself.
      if (!settings.reuse_codes) codes.delete(form.get('code'));
      if (!grant) return send(res, 400, { error: 'invalid_grant' });
      const challenge = createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url');
      if (challenge !== grant.challenge || form.get('redirect_uri') !== grant.redirect) {
        return send(res, 400, { error: 'invalid_grant' });
      }
      return send(res, 200, {
        access_token: randomBytes(16).toString('hex'),
        token_type: 'Bearer',
        expires_in: 600,
        id_token: await idToken(issuer, grant),
      });
    }
    if (url.pathname === '/control' && req.method === 'POST') {
      const change = JSON.parse(body || '{}');
      if (change.rotate_key) key = await newKey();
      delete change.rotate_key;
      settings = { ...settings, ...change };
      return send(res, 200, settings);
    }
    if (url.pathname === '/log') return send(res, 200, log);
    return send(res, 404, { error: 'not_found' });
  } catch (err) {
    console.error('fake-provider.mjs:', err);
    return send(res, 500, { error: 'server_error' });
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(JSON.stringify({ issuer: `http://127.0.0.1:${server.address().port}` }));
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
