/**
 * The orders API's contract (/api/orders): an order (приказ) with its number and date approves
 * pairs and programs (Surgut 2022 §4.6, Tomsk 2024 §3.2) or their extension (Tomsk 2024 §7.2).
 * It is generated as DOCX from the live records (GET /api/orders/:id/docx), signed, then attached
 * (POST /api/orders/:id/attach); server/programs/orders.ts.
 */
import { Type, type Static } from 'typebox';
import { Id, StringEnum } from './common';

export const ORDER_KINDS = ['approve-programs', 'change-program'] as const;
export type OrderKind = (typeof ORDER_KINDS)[number];

export const ORDER_KIND_LABELS: Record<OrderKind, string> = {
	'approve-programs': 'об утверждении пар и программ',
	'change-program': 'о продлении (корректировке) программы'
};

/** POST /api/orders */
export const CreateOrderBody = Type.Object(
	{
		number: Type.String({ minLength: 1, maxLength: 50 }),
		/** YYYY-MM-DD */
		issuedOn: Type.String({ maxLength: 10 }),
		kind: StringEnum(ORDER_KINDS),
		/** Who signs: the head of the organization, or the head of the department for heads' programs. */
		issuerId: Id,
		programIds: Type.Array(Id, { minItems: 1, maxItems: 200 })
	},
	{ additionalProperties: false }
);
export type CreateOrderBody = Static<typeof CreateOrderBody>;

/** GET /api/orders?programId= */
export const OrdersQuery = Type.Object({ programId: Id }, { additionalProperties: false });

export const OrderJson = Type.Object({
	id: Type.String(),
	number: Type.String(),
	issuedOn: Type.String(),
	kind: StringEnum(ORDER_KINDS),
	organizationId: Type.Union([Type.String(), Type.Null()]),
	municipalityId: Type.String(),
	issuerId: Type.String(),
	title: Type.String(),
	createdAt: Type.Number(),
	attachedAt: Type.Union([Type.Number(), Type.Null()]),
	programIds: Type.Array(Type.String())
});
export type OrderJson = Static<typeof OrderJson>;

export const OrderResponse = Type.Object({ order: OrderJson });
export const OrdersResponse = Type.Object({ orders: Type.Array(OrderJson) });
