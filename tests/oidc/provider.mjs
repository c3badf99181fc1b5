// The real OpenID Provider the happy-path tests sign in through: panva's oidc-provider (an
// OpenID-certified implementation), on loopback, with its development login page.
//
//   node provider.mjs [port] --redirect-uri http://127.0.0.1:8000/login/oidc/test/callback
//
// Environment (or flags): OIDC_PORT (0, the default, picks a free port), OIDC_CLIENT_ID
// (default "template"), OIDC_CLIENT_SECRET (default "template-secret"), OIDC_REDIRECT_URIS
// (comma-separated). Once listening it prints one JSON line on stdout:
//   {"issuer": "http://127.0.0.1:PORT", "client_id": "...", "client_secret": "..."}
//
// Accounts: the login page takes any login and any password. The login is the account's email
// address and its `sub` is "sub-" + the login; an address whose local part starts with
// "unverified" is asserted with `email_verified: false`, every other one as verified.
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
  },
});

const port = Number(values.port ?? positionals[0] ?? process.env.OIDC_PORT ?? 0);
const clientId = values['client-id'] ?? process.env.OIDC_CLIENT_ID ?? 'template';
const clientSecret = values['client-secret'] ?? process.env.OIDC_CLIENT_SECRET ?? 'template-secret';
const redirectUris = [
  ...(values['redirect-uri'] ?? []),
  ...(process.env.OIDC_REDIRECT_URIS ?? '').split(',').filter(Boolean),
];
if (redirectUris.length === 0) {
  console.error('provider.mjs: give at least one --redirect-uri (or OIDC_REDIRECT_URIS)');
  process.exit(2);
}

export function claimsOf(login) {
  const email = login.includes('@') ? login : `${login}@example.test`;
  return {
    sub: `sub-${login}`,
    email,
    email_verified: !email.split('@')[0].startsWith('unverified'),
    name: email.split('@')[0],
  };
}

// A fresh signing key per run: the app must learn it from the JWKS.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(6).toString('hex'), use: 'sig', alg: 'RS256' };

const server = createServer();
server.listen(port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    // Every claim of the granted scopes in the ID token, as Google and Microsoft do, so the
    // app needs no userinfo call.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    async findAccount(_ctx, accountId) {
      return { accountId, claims: async () => claimsOf(accountId) };
    },
    // A first-party client: consent is implied, so the login page is the only interaction.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile');
      grant.addOIDCClaims(['email', 'email_verified', 'name']);
      await grant.save();
      return grant;
    },
  });
  provider.on('server_error', (_ctx, err) => console.error('provider.mjs: server_error', err));
  server.on('request', provider.callback());
  console.log(JSON.stringify({ issuer, client_id: clientId, client_secret: clientSecret }));
});

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
