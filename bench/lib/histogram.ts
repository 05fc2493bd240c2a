/**
 * HDR histograms of latencies, recorded in microseconds (3 significant
 * digits), summarised in milliseconds.
 */
import * as hdr from 'hdr-histogram-js';
import type { LatencySummary } from './types.js';

export type Histogram = hdr.Histogram;

/** Highest latency kept exactly: 10 minutes (larger values are clamped to it). */
const HIGHEST_US = 600_000_000;

export function createHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
  });
}

/** Records a latency given in milliseconds. */
export function recordMs(histogram: Histogram, ms: number): void {
  const us = Math.round(ms * 1000);
  histogram.recordValue(us < 1 ? 1 : us > HIGHEST_US ? HIGHEST_US : us);
}

const round = (us: number): number => Math.round(us) / 1000;

export function summarize(histogram: Histogram): LatencySummary {
  if (histogram.totalCount === 0) return { count: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  // A percentile is reported as the top of its bucket, which can lie just above
  // the largest value actually recorded: never report more than that.
  const max = histogram.maxValue;
  const at = (percentile: number) => round(Math.min(histogram.getValueAtPercentile(percentile), max));
  return {
    count: histogram.totalCount,
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
    max: round(max),
    mean: round(histogram.mean),
  };
}

export function encode(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

export function decode(base64: string): Histogram {
  return hdr.decodeFromCompressedBase64(base64);
}
