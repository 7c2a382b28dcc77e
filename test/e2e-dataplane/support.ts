// What every test in this folder starts from: the simulator's netns data plane running a real
// se-agent (config drive, bootstrap token, mTLS) per SE, on the e2e-dataplane topology.
import { join } from 'node:path';
import { repoRoot } from '../support/cluster.js';
import { NetnsDataplane } from '../../src/sim/dataplane/dataplane.js';
import { commandSeRunner } from '../../src/sim/dataplane/runner.js';
import { startHarness, type Harness } from '../e2e/harness.js';

/** The data plane; each SE's agent keeps its state (keys, last config, HAProxy socket) under stateRoot/<server>. */
export function agentDataplane(stateRoot: string, poolServers?: string[]): NetnsDataplane {
  return new NetnsDataplane({
    log: () => undefined,
    ...(poolServers !== undefined ? { poolServers } : {}),
    runner: commandSeRunner([
      process.execPath, '--import', 'tsx', join(repoRoot, 'src/cli.ts'), 'se-agent',
      '--config-drive', '{configdrive}', '--netns', '{netns}', '--state-dir', join(stateRoot, '{server}'), '--log-level', 'warn',
    ]),
  });
}

/** The e2e harness (kube-apiserver + simulator) with that data plane as the simulator's plugin; a Contrail Cloud unless mode says plain Neutron. */
export function startDataplaneHarness(name: string, dp: NetnsDataplane, mode: 'contrail' | 'neutron' = 'contrail'): Promise<Harness> {
  return startHarness({ name, mode, sim: { topology: join(repoRoot, 'test/e2e-dataplane/topology.yaml'), plugins: [dp], bootTimeMs: 200 } });
}
