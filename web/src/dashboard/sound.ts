/**
 * A short two-tone chime made with the Web Audio API (no audio file, so
 * nothing extra for the Content-Security-Policy to allow). Browsers only
 * let a page make sound after a user gesture: `unlock()` is called from one.
 * A burst of messages rings once: at most one chime a second.
 */
const MIN_GAP_MS = 1_000;

export class Chime {
  private context: AudioContext | undefined;
  private lastPlayed = -Infinity;

  unlock(): void {
    try {
      const Ctor =
        window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
      if (!Ctor) return;
      this.context ??= new Ctor();
      if (this.context.state === 'suspended') void this.context.resume();
    } catch {
      // No audio available: notifications stay visual.
    }
  }

  play(): void {
    const ctx = this.context;
    if (!ctx || ctx.state !== 'running' || performance.now() - this.lastPlayed < MIN_GAP_MS) return;
    this.lastPlayed = performance.now();
    const start = ctx.currentTime;
    for (const [offset, frequency] of [
      [0, 880],
      [0.16, 1320],
    ] as const) {
      const oscillator = ctx.createOscillator();
      const gain = ctx.createGain();
      oscillator.type = 'sine';
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.25, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.25);
      oscillator.connect(gain).connect(ctx.destination);
      oscillator.start(start + offset);
      oscillator.stop(start + offset + 0.3);
    }
  }
}
