/**
 * The web dashboard: static ES modules under src/web/static (no build step) and uPlot from
 * node_modules, served by the REST app at `/`. The page talks to the same REST API as every
 * other client, with the user's token in an Authorization header (kept in sessionStorage,
 * never in a URL). A strict Content-Security-Policy allows only this origin's scripts.
 */
import express from 'express';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Directory of the dashboard's files (index.html, modules, stylesheet). */
export const DASHBOARD_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Mounts the dashboard on `app`: `/` (the page), `/ui/*` (its files), `/ui/vendor/uplot/*`. */
export function mountDashboard(app: express.Express): void {
  const uplotDir = path.dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
  const secure: express.RequestHandler = (_req, res, next) => {
    res.set('content-security-policy', CSP);
    res.set('x-content-type-options', 'nosniff');
    res.set('referrer-policy', 'no-referrer');
    res.set('cache-control', 'no-cache');
    next();
  };
  app.get(['/', '/index.html'], secure, (_req, res) => {
    res.sendFile(path.join(DASHBOARD_DIR, 'index.html'));
  });
  app.use('/ui/vendor/uplot', secure, express.static(path.join(uplotDir, 'dist'), { index: false, fallthrough: true }));
  app.use('/ui', secure, express.static(DASHBOARD_DIR, { index: false, fallthrough: true }));
}
