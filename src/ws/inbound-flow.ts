/**
 * Backpressure on one connection's inbound frames: once too many of its frames
 * are being handled, the socket is no longer read (the peer's writes wait in
 * TCP) until the handling catches up.
 */

/** Stop reading at this many frames in flight on one connection… */
export const PAUSE_AT_IN_FLIGHT = 64;
/** …and read again once this few are left. */
export const RESUME_AT_IN_FLIGHT = 16;

/** What of a `ws` WebSocket the flow needs. */
export interface Pausable {
  pause(): void;
  resume(): void;
}

export class InboundFlow {
  private inFlight = 0;
  private paused = false;

  constructor(
    private readonly socket: Pausable,
    private readonly pauseAt = PAUSE_AT_IN_FLIGHT,
    private readonly resumeAt = RESUME_AT_IN_FLIGHT,
  ) {}

  /** A frame is being handled from now on. */
  readonly started = (): void => {
    this.inFlight += 1;
    if (!this.paused && this.inFlight >= this.pauseAt) {
      this.paused = true;
      this.socket.pause();
    }
  };

  /** A frame's handling is over, whatever its outcome. */
  readonly settled = (): void => {
    this.inFlight -= 1;
    if (this.paused && this.inFlight <= this.resumeAt) {
      this.paused = false;
      this.socket.resume();
    }
  };
}
