import type { OperatorContext } from '../operator.js';

// Placeholder until the controller lands.
export function installOrphanSweep(_ctx: OperatorContext): void {}
