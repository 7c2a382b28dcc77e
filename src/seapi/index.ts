// The SE API (the operator's side of the agent channel): import from here.
export * from './agents.js';
export * from './analytics.js';
export * from './config.js';
export * from './configs.js';
export * from './desired.js';
export * from './pki.js';
export * from './protocol.js';
export * from './server.js';
export * from './serving.js';
export * from './tokens.js';
export * from './witnesses.js';
