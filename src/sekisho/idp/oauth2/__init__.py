"""The OAuth2/OIDC endpoints, one module each: discovery and JWKS on the regional host, the rest on a domain."""
