import { rawSchemaDriftFieldsForSdl } from './discovery/drift-subscription';
import { withMetricSubscriptions } from './metrics/metric-subscription';
import { subscriptionFieldsForSdl } from './subscription-fields';

/**
 * Every subscription field the API serves (change feeds, raw schema drift, metric updates), built
 * without a feed or store, for printing the SDL contract. Composed like app.ts composes them.
 */
export const servedSubscriptionFieldsForSdl = withMetricSubscriptions(rawSchemaDriftFieldsForSdl(subscriptionFieldsForSdl));
