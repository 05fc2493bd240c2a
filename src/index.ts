/** Programmatic API of the server package. */
export { startServer, type LivechatServer, type ServerOptions } from './server.js';
export { loadConfig, ConfigError, type Config } from './config.js';
export * from './protocol/index.js';
