/** Thrown by `messages.insert` when the session does not exist; nothing is stored. */
export class UnknownSessionError extends Error {
  constructor(readonly sessionId: string) {
    super(`unknown session ${sessionId}`);
    this.name = 'UnknownSessionError';
  }
}
