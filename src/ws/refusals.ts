/**
 * Answers shared by both endpoints for frames that are refused: the
 * `error:invalid_payload` reply, and the 1008 close for a connection that goes
 * on sending after being rate limited.
 */
import type { Replier, SendOutcome } from '../chat/chat-service.js';
import type { Metrics } from '../metrics.js';
import { CloseCode } from '../protocol/close-codes.js';
import type { AnyConnection } from './connection.js';
import { WindowCounter } from './throttles.js';

export function sendInvalidPayload(
  connection: Replier,
  metrics: Metrics,
  error: { message: string; clientMessageId?: string | undefined },
): void {
  metrics.messagesRefusedTotal.inc({ reason: 'invalid_payload' });
  connection.send('error:invalid_payload', {
    message: error.message,
    ...(error.clientMessageId === undefined ? {} : { clientMessageId: error.clientMessageId }),
  });
}

/** Returns a check to run on every send outcome; past the threshold the connection is closed with 1008. */
export function abuseGuard(
  connection: AnyConnection,
  windowMs: number,
  threshold: number,
): (outcome: SendOutcome) => void {
  const refusals = new WindowCounter(windowMs, threshold);
  return (outcome) => {
    if (outcome === 'rate_limited' && refusals.add()) connection.close(CloseCode.PolicyViolation, 'rate limit abuse');
  };
}
