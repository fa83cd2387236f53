// A third-party OpenID Connect server for nbauth's interop tests: panva/oidc-provider v9, configured with
// the clients and features the tests exercise. Development use only (devInteractions accepts any login).
//
// Usage: NBAUTH_INTEROP_CLIENT_SECRET=... node server.mjs <port>
//        binds 127.0.0.1:<port>; issuer http://127.0.0.1:<port>
// Prints one line "oidc-provider ready <issuer>" on stdout once it listens; stops on SIGTERM / SIGINT.
//
// What oidc-provider 9 needs for plain http on 127.0.0.1 (measured with 9.13.3 on Node.js 20 and 22):
// - nothing special: it accepts an http issuer and builds every endpoint URL from it. `provider.proxy = true`
//   is only for running behind a TLS-terminating proxy (it then trusts X-Forwarded-*); not needed here.
// - interaction cookies work over http (they are not marked Secure unless the request came over TLS).
// - a loopback http redirect URI is accepted for `application_type: 'native'` clients, on any port
//   (RFC 8252 section 7.3); the registered one is 'http://127.0.0.1/'.
// - offline_access (so a refresh token) in an authorization request is honoured only with prompt=consent
//   (OpenID Connect Core section 11); the device flow keeps it without.
// - PKCE (S256 only) is required for public clients (token_endpoint_auth_method 'none').
// - On Node.js < 22 it prints "Unsupported runtime" once at start and then works normally.
import * as crypto from 'node:crypto';

import Provider, { errors } from 'oidc-provider';

// The confidential client's secret comes from the environment, so it never sits in a file or a log.
const CONFIDENTIAL_CLIENT = {
  id: 'nbauth-interop-daemon',
  secret: process.env.NBAUTH_INTEROP_CLIENT_SECRET || crypto.randomBytes(24).toString('base64url'),
};
const PUBLIC_CLIENT = { id: 'nbauth-interop-notebook' };
// The one protected API (RFC 8707 resource indicator) every access token is issued for.
const API_RESOURCE = 'urn:nbauth:interop-api';
const API_SCOPES = 'api:read api:write';

function signingKey() {
  // A fresh RS256 key per run, so oidc-provider does not fall back to (and warn about) its development keys.
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: crypto.randomUUID() };
}

async function findAccount(_ctx, accountId) {
  // devInteractions uses whatever login the person typed as the account id (the `sub`).
  return {
    accountId,
    async claims() {
      return { sub: accountId, name: `Interop user ${accountId}`, preferred_username: accountId };
    },
  };
}

const resourceIndicators = {
  enabled: true,
  // Clients speak MSAL's dialect (scopes, never `resource`), so every request defaults to the one API.
  async defaultResource() {
    return API_RESOURCE;
  },
  // With `openid` in the grant the access token would otherwise be for the UserInfo endpoint.
  async useGrantedResource() {
    return true;
  },
  async getResourceServerInfo(_ctx, resourceIndicator) {
    if (resourceIndicator !== API_RESOURCE) throw new errors.InvalidTarget();
    return { scope: API_SCOPES, audience: API_RESOURCE, accessTokenFormat: 'jwt', accessTokenTTL: 3600 };
  },
};

function configuration() {
  return {
    clients: [
      {
        client_id: CONFIDENTIAL_CLIENT.id,
        client_secret: CONFIDENTIAL_CLIENT.secret,
        // MSAL (and so nbauth) sends the secret in the form body.
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
      {
        client_id: PUBLIC_CLIENT.id,
        // native: a loopback redirect URI matches on any port (RFC 8252 section 7.3).
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/'],
      },
    ],
    jwks: { keys: [signingKey()] },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    findAccount,
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'] },
    scopes: ['openid', 'offline_access', 'profile'],
    // response_mode=form_post is what MSAL-style loopback listeners ask for.
    responseModes: ['query', 'form_post'],
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      resourceIndicators,
    },
    // Refresh tokens for the public client whenever offline_access was granted.
    async issueRefreshToken(_ctx, client, code) {
      return client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access');
    },
  };
}

function main() {
  const port = Number.parseInt(process.argv[2] ?? '', 10);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    console.error('usage: node server.mjs <port>');
    process.exit(2);
  }
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, configuration());
  const server = provider.listen(port, '127.0.0.1', () => {
    console.log(`oidc-provider ready ${issuer}`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
