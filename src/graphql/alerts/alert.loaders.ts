import type { AlertDelivery } from '../../domain/alerts/alert';
import { definePageLoader } from '../common/page-loader';

/** A page of each alert's webhook deliveries. */
export const deliveryPages = definePageLoader<AlertDelivery>('deliveryPages', (ids, args, ctx) => ctx.services.alerts.pageDeliveries(ids, args));
