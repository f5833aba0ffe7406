import express from 'express';
import { tokenAuth } from '../http/token-auth.js';
import { dashboardRouter, type DashboardDeps } from './dashboard-router.js';

/**
 * The dashboard as a whole app: the gateway's token in front of every route (the page, its data,
 * bull-board and its assets), so the dashboard reveals nothing to whoever merely reaches its port.
 */
export function createDashboardApp(deps: DashboardDeps & { readonly token: string }): express.Express {
  const { token, ...routerDeps } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Docker's health check: reveals nothing, needs no token.
  app.get('/healthz', (_request, response) => {
    response.json({ ok: true });
  });
  app.use(tokenAuth(token));
  app.use(dashboardRouter(routerDeps));
  return app;
}
