// A data-plane run that gets SIGKILLed by dataplane.test.ts: it starts the simulator with the
// netns data plane and one SE, prints its run id and namespaces, and waits (at most 60 s).
import { startRig } from './support.js';

const rig = await startRig();
await rig.api.boot('se-killed');
await rig.dp.settled();
process.stdout.write(JSON.stringify({ run: rig.dp.netns.run, namespaces: rig.dp.netns.names }) + '\n');
setTimeout(() => void rig.close(), 60_000);
