"""A relying-party library for OpenID Connect, used by the `openid-connect` plugin and the portal.

Modules, one concern each: `discovery` (provider metadata), `jwks` (provider keys, refetch on unknown kid),
`tokens` (JWS verification with pinned algorithms, ID/access token claim checks, Cognito's shapes),
`pkce` and `randomness` (RFC 7636, state/nonce), `redirects` (open-redirect defence), `http` (bounded
outbound calls). Nothing here knows about Kong or the proxy.
"""
