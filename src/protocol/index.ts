export * from './events.js';
export * from './close-codes.js';
