/**
 * The sign-in API's contract (/api/invitations/redeem, /api/login, /api/me): request bodies as
 * TypeBox schemas, and what a device receives — who it is, its roles and programs, the relay.
 */
import { Type, type Static } from 'typebox';
import type { MyProgramItem } from './programs';

const DeviceName = Type.String({ maxLength: 100 });

/** POST /api/invitations/redeem */
export const RedeemBody = Type.Object(
	{ code: Type.String({ maxLength: 100 }), deviceName: Type.Optional(DeviceName) },
	{ additionalProperties: false }
);
export type RedeemBody = Static<typeof RedeemBody>;

/** POST /api/login */
export const LoginBody = Type.Object(
	{
		login: Type.String({ maxLength: 100 }),
		password: Type.String({ maxLength: 200 }),
		deviceName: Type.Optional(DeviceName)
	},
	{ additionalProperties: false }
);
export type LoginBody = Static<typeof LoginBody>;

/** PUT /api/me/password */
export const SetPasswordBody = Type.Object(
	{ login: Type.String({ maxLength: 100 }), password: Type.String({ maxLength: 200 }) },
	{ additionalProperties: false }
);
export type SetPasswordBody = Static<typeof SetPasswordBody>;

/** A device session as the API shows it. */
export interface SessionItem {
	id: string;
	deviceName: string;
	method: 'invitation' | 'password';
	createdAt: number;
	lastUsedAt: number;
	expiresAt: number;
	revokedAt: number | null;
	active: boolean;
	current: boolean;
}

/** What redeem, login and GET /api/me answer. */
export interface MeResponse {
	person: { id: string; fullName: string } & Record<string, unknown>;
	roles: Array<{ role: string; organizationId: string | null; municipalityId: string | null }>;
	programs: MyProgramItem[];
	session: SessionItem;
	relay: { path: string; auth: 'cookie'; tokenEndpoint: string };
}
