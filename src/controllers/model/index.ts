// The controllers' shared model: import from here (or a file of this folder), never from a
// sibling controller's folder or from operator.ts.
export * from './claims.js';
export * from './connections.js';
export * from './context.js';
export * from './defaults.js';
export * from './networks.js';
export * from './objects.js';
export * from './repair.js';
export * from './requested.js';
export * from './sechannel.js';
export * from './sephase.js';
export * from './tenant.js';
export * from './invariants.js';
export * from './memberhealth.js';
export * from './kstatus.js';
export * from './reservation.js';
