/**
 * The curator's access tools' contract (docs/identity.md, "Re-issuing access"): a new sign-in
 * link (and its QR code) for a person, the same for many people of a school (the printable sheet),
 * a person's devices with revoke, and what a device learns about its own ended session.
 */
import { Type, type Static } from 'typebox';
import { Id } from './common';
import type { SessionItem } from './session';

const TtlHours = Type.Number({ minimum: 1, maximum: 24 * 90 });

/** POST /api/people/:id/sign-in-link */
export const SignInLinkBody = Type.Object(
	{ ttlHours: Type.Optional(TtlHours) },
	{ additionalProperties: false }
);
export type SignInLinkBody = Static<typeof SignInLinkBody>;

/** The answer of POST /api/people/:id/sign-in-link. */
export interface SignInLinkResponse {
	url: string;
	/** The QR code of `url`, SVG text. */
	qrSvg: string;
	invitationId: string;
	expiresAt: number;
	/**
	 * Earlier unused plain sign-in links of this person revoked by this one (links that grant a role
	 * or a place in a program are not touched). The person's data, devices and programs stay.
	 */
	revoked: number;
}

/** POST /api/organizations/:id/sign-in-sheet */
export const SignInSheetBody = Type.Object(
	{
		/** Default: every active mentor and mentee of the organization's programs. */
		personIds: Type.Optional(Type.Array(Id, { maxItems: 1000 })),
		/** Only people who have never opened an invitation. */
		onlyNotOpened: Type.Optional(Type.Boolean()),
		ttlHours: Type.Optional(TtlHours)
	},
	{ additionalProperties: false }
);
export type SignInSheetBody = Static<typeof SignInSheetBody>;

export interface SignInSheetEntry {
	personId: string;
	fullName: string;
	/** 'mentor' | 'mentee' | '' — what the person is in the organization's programs. */
	role: string;
	url: string;
	qrSvg: string;
	expiresAt: number;
	revoked: number;
	/** When the person first opened an invitation, or null (never). */
	openedAt: number | null;
}

export interface SignInSheetResponse {
	organizationName: string;
	entries: SignInSheetEntry[];
	/** People no link was issued for, with the reason in Russian. */
	skipped: Array<{ personId: string; fullName: string; reason: string }>;
}

/** GET /api/people/:id/devices: the person's device sessions, newest first. */
export interface DevicesResponse {
	person: { id: string; fullName: string };
	/** When the person first opened an invitation, or null (never). */
	openedAt: number | null;
	devices: SessionItem[];
}

/**
 * GET /api/session/state: what became of this browser's session (no session needed). 'revoked'
 * with `byOther` when someone else (the curator) revoked it, so the device can say so.
 */
export interface SessionStateResponse {
	state: 'active' | 'revoked' | 'expired' | 'none';
	byOther: boolean;
	at: number | null;
}
