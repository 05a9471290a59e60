import path from 'node:path';
import { defineConfig } from 'prisma/config';

// DATABASE_URL is read directly (not with env()) so `prisma generate` works when it is unset.
export default defineConfig({
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
