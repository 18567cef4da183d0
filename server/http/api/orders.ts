import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParams } from '../../../src/lib/shared/api/common.js';
import {
	CreateOrderBody,
	OrderResponse,
	OrdersQuery,
	OrdersResponse
} from '../../../src/lib/shared/api/orders.js';
import { IdentityError } from '../../identity/errors.js';
import type { Order, OrdersService } from '../../programs/orders.js';
import type { ApiDeps } from './deps.js';
import { principalOf } from './context.js';

const json = (o: Order) => ({
	id: o.id,
	number: o.number,
	issuedOn: o.issuedOn,
	kind: o.kind,
	organizationId: o.organizationId,
	municipalityId: o.municipalityId,
	issuerId: o.issuerId,
	title: o.title,
	createdAt: o.createdAt,
	attachedAt: o.attachedAt,
	programIds: o.programIds
});

/** Orders (приказы): record, read, the DOCX generated from the live records, attach. */
export function registerOrderRoutes(app: FastifyInstance, { programs }: ApiDeps): void {
	const api = app.withTypeProvider<TypeBoxTypeProvider>();
	const orders = (): OrdersService => {
		if (!programs.orders) throw new IdentityError(503, 'unavailable', 'Сервис временно недоступен');
		return programs.orders;
	};

	api.post(
		'/orders',
		{ schema: { body: CreateOrderBody, response: { 201: OrderResponse } } },
		async (request, reply) => {
			const p = principalOf(request);
			const order = await orders().createOrder(p.actor, request.body);
			reply.code(201);
			return { order: json(order) };
		}
	);

	api.get(
		'/orders',
		{ schema: { querystring: OrdersQuery, response: { 200: OrdersResponse } } },
		async (request) => {
			const p = principalOf(request);
			const list = await orders().ordersOfProgram(p.actor, request.query.programId);
			return { orders: list.map(json) };
		}
	);

	api.get(
		'/orders/:id',
		{ schema: { params: IdParams, response: { 200: OrderResponse } } },
		async (request) => {
			const p = principalOf(request);
			return { order: json(await orders().getOrder(p.actor, request.params.id)) };
		}
	);

	api.get('/orders/:id/docx', { schema: { params: IdParams } }, async (request, reply) => {
		const p = principalOf(request);
		const { name, body } = await orders().orderDocx(p.actor, request.params.id);
		const file = `${name.replace(/[^\p{L}\p{N} ._-]+/gu, '_')}.docx`;
		reply
			.header(
				'content-type',
				'application/vnd.openxmlformats-officedocument.wordprocessingml.document'
			)
			.header('cache-control', 'no-store')
			.header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file)}`);
		return body;
	});

	api.post(
		'/orders/:id/attach',
		{ schema: { params: IdParams, response: { 200: OrderResponse } } },
		async (request) => {
			const p = principalOf(request);
			return { order: json(await orders().attachOrder(p.actor, request.params.id)) };
		}
	);
}
