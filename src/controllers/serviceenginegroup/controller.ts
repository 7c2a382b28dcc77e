import type { OperatorContext } from '../operator.js';

// Placeholder until the controller lands.
export function installGroupController(_ctx: OperatorContext): void {}
