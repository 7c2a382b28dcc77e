// @peculiar/x509, loaded the one way that works: the Reflect polyfill its dependency injection
// (tsyringe) needs must be evaluated first, and its crypto provider set to Node's WebCrypto.
// Import x509 from here, never from the package directly.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
