import type { OperatorContext } from '../operator.js';

// Placeholder until the controller lands.
export function installServiceEngineController(_ctx: OperatorContext): void {}
