import { CloseCode } from '../sync/protocol.js';

/** Events the relay listens to (server/app.ts wires them to relay.closeWhere). */
export interface SessionRevokedEvent {
	sessionId: string;
	personId: string;
	reason: 'revoked' | 'logout';
}

/**
 * The close code of a revoked session's live connections: 4401 when the device signed out itself
 * (logout: it knows); 1012 (non-final) when someone else revoked it (the curator's «Отозвать
 * доступ», the person from another device): the client reconnects, the upgrade refuses the dead
 * session (4401) and the PWA asks for a new link with what it kept on the device.
 */
export function sessionCloseCode(reason: SessionRevokedEvent['reason']): number {
	return reason === 'logout' ? CloseCode.UNAUTHENTICATED : CloseCode.SERVICE_RESTART;
}

/** A person's rights changed (role or participation removed): their live connections must re-authorize. */
export interface AccessChangedEvent {
	personId: string;
	/** Set when only one program is affected. */
	programId?: string;
}

/** A recorded access token was revoked: connections opened with it must close. */
export interface TokenRevokedEvent {
	tokenId: string;
	personId: string;
}

type Listener<E> = (event: E) => void;

export class IdentityEvents {
	private readonly revoked = new Set<Listener<SessionRevokedEvent>>();
	private readonly changed = new Set<Listener<AccessChangedEvent>>();
	private readonly tokens = new Set<Listener<TokenRevokedEvent>>();

	/** Returns an unsubscribe function. */
	onSessionRevoked(listener: Listener<SessionRevokedEvent>): () => void {
		this.revoked.add(listener);
		return () => this.revoked.delete(listener);
	}

	onAccessChanged(listener: Listener<AccessChangedEvent>): () => void {
		this.changed.add(listener);
		return () => this.changed.delete(listener);
	}

	onTokenRevoked(listener: Listener<TokenRevokedEvent>): () => void {
		this.tokens.add(listener);
		return () => this.tokens.delete(listener);
	}

	emitTokenRevoked(e: TokenRevokedEvent): void {
		for (const l of this.tokens) l(e);
	}

	emitSessionRevoked(e: SessionRevokedEvent): void {
		for (const l of this.revoked) l(e);
	}

	emitAccessChanged(e: AccessChangedEvent): void {
		for (const l of this.changed) l(e);
	}
}
