import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One Prometheus registry per server instance (tests run several servers in one process,
 * so the global default registry would mix their figures).
 */
export function createMetricsRegistry(): Registry {
	const registry = new Registry();
	registry.setDefaultLabels({ service: 'nastavnik' });
	collectDefaultMetrics({ register: registry });
	return registry;
}
