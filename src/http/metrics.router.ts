import { Router } from 'express';
import { guardRoute, type RouteGuardDependencies } from './route-guard';

/** A Prometheus text exposition (this process's registry, or the cluster's). */
export type MetricsExposition = () => Promise<{ contentType: string; body: string }>;

/**
 * `GET /metrics` in Prometheus text format. It names deployments and their traffic, so it needs a
 * key like any read (VIEWER and up; Prometheus sends one with `authorization: { credentials_file }`);
 * it spends the request bucket and is not audited.
 */
export function metricsRouter(guard: RouteGuardDependencies, exposition: MetricsExposition): Router {
  return Router().get('/metrics', guardRoute(guard, { allow: ['VIEWER'], operation: 'metrics', audit: 'none' }), async (_req, res) => {
    const { contentType, body } = await exposition();
    res.type(contentType).send(body);
  });
}
