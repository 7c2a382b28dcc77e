// A data-plane run that gets SIGKILLed by dataplane.test.ts: it starts the simulator with the
// netns data plane and one SE (with a config drive), prints its run id, namespaces and config
// drive directory, and waits (at most 60 s).
import { startRig } from './support.js';

const rig = await startRig();
await rig.api.boot('se-killed', undefined, { config_drive: true });
await rig.dp.settled();
process.stdout.write(JSON.stringify({ run: rig.dp.netns.run, namespaces: rig.dp.netns.names, configDrives: rig.dp.configDrives }) + '\n');
setTimeout(() => void rig.close(), 60_000);
