/**
 * mlplane runs in production mode unless told otherwise: loaded before any library, this sets
 * `NODE_ENV=production` when it is unset, as servers do (graphql-js otherwise checks every type
 * test for a second copy of itself, a twentieth of a GraphQL request's CPU). What NODE_ENV meant
 * to mlplane's own settings is kept: introspection stays on by default unless the user set
 * `NODE_ENV=production` themselves (`MLPLANE_INTROSPECTION` is set to `true` here when unset).
 */
if (process.env.NODE_ENV === undefined || process.env.NODE_ENV === '') {
  process.env.NODE_ENV = 'production';
  process.env.MLPLANE_INTROSPECTION ??= 'true';
}
