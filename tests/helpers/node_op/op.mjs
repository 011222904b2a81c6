// An independent, certified OpenID provider for sekisho's tests (panva's oidc-provider).
// Listens on 127.0.0.1 (port 0 = any free port) and prints one JSON line: {"issuer": ..., "port": ...}.
// Clients come from the OP_CLIENTS environment variable (a JSON array of client metadata).
import http from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const clients = JSON.parse(process.env.OP_CLIENTS || '[]');
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-op-rsa', use: 'sig', alg: 'RS256' };
const accessTokenTtl = Number(process.env.OP_ACCESS_TOKEN_TTL || 120);

const server = http.createServer();
server.listen(Number(process.env.OP_PORT || 0), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients,
    jwks: { keys: [jwk] },
    cookies: { keys: ['sekisho-test-op-cookie-key'] },
    findAccount: async (ctx, id) => ({
      accountId: id,
      async claims() {
        return { sub: id, email: `${id}@example.test`, email_verified: true, groups: ['staff'] };
      },
    }),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
    scopes: ['openid', 'email', 'groups', 'offline_access'],
    features: {
      devInteractions: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      clientCredentials: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Clients named api-* get JWT access tokens for the API; the others get opaque tokens usable at
        // userinfo and introspection (oidc-provider refuses to introspect structured tokens).
        defaultResource: (ctx, client) => (client?.clientId.startsWith('api') ? 'urn:sekisho:api' : undefined),
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'openid email groups',
          audience: 'urn:sekisho:api',
          accessTokenTTL: accessTokenTtl,
          accessTokenFormat: 'jwt',
        }),
      },
    },
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: { AccessToken: accessTokenTtl, IdToken: 300, RefreshToken: 3600, Session: 3600, Grant: 3600, Interaction: 600 },
    pkce: { required: () => true },
  });
  server.on('request', provider.callback());
  process.stdout.write(JSON.stringify({ issuer, port }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
