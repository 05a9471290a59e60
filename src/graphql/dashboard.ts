import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';
import { DASHBOARD_CONTENT_SECURITY_POLICY } from './http/security-headers';

const NOT_BUILT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>mlplane</title></head>
<body style="font-family: system-ui, sans-serif; margin: 2rem">
<h1>mlplane</h1>
<p>The dashboard is not built. Run <code>npm run build:web</code> (npm install does it), then reload.</p>
<p>GraphiQL: <a href="/graphql">/graphql</a></p>
</body></html>`;

/**
 * The web dashboard: the files Vite built into `dir` (web/dist), at `/`. The app routes by the URL
 * hash, so only `/` and its assets are served. Hashed assets are cached for a year, the page itself
 * is revalidated. When `dir` holds no build, `/` says how to build it. Its files carry the
 * dashboard's own Content-Security-Policy (the API's lets a response load nothing).
 */
export function dashboardRouter(dir: string): Router {
  const router = express.Router();
  const index = path.join(dir, 'index.html');
  router.get('/', (_req, res, next) => {
    if (existsSync(index)) {
      next();
      return;
    }
    res.setHeader('content-security-policy', DASHBOARD_CONTENT_SECURITY_POLICY);
    res.type('html').send(NOT_BUILT_PAGE);
  });
  router.use(
    express.static(dir, {
      index: 'index.html',
      setHeaders: (res, file) => {
        res.setHeader('content-security-policy', DASHBOARD_CONTENT_SECURITY_POLICY);
        res.setHeader('Cache-Control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    }),
  );
  return router;
}
