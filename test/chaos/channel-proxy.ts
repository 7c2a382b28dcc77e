// The SE's management path as something a chaos test can cut: a TCP relay on 127.0.0.1 between
// the agents and the operator's SE API (the operator advertises the relay with --se-api-url, so
// the mutual TLS runs end to end through it). drop() behaves like a management network that
// silently loses packets, not like a refusing port: every relayed connection loses its upstream
// and the agent's side goes quiet (no FIN, no RST), and new connections are accepted and then
// never answered — the agent finds out only through its own timeouts, as it would on a real
// network. restore() relays new connections again; the ones held during the drop stay silent
// (their packets were lost) until the agent gives up on them.
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export class ChannelRelay {
  private server: Server | undefined;
  private dropped = false;
  private readonly pairs = new Set<{ down: Socket; up: Socket }>();
  private readonly held = new Set<Socket>();
  /** Connections accepted while dropped (the agent's attempts that went nowhere). */
  heldConnections = 0;
  relayedConnections = 0;

  constructor(private readonly upstreamPort: number) {}

  async listen(): Promise<number> {
    const srv = createServer((down) => this.accept(down));
    this.server = srv;
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    return (srv.address() as AddressInfo).port;
  }

  private accept(down: Socket): void {
    down.on('error', () => undefined);
    if (this.dropped) return this.hold(down);
    this.relayedConnections++;
    const up = connect({ host: '127.0.0.1', port: this.upstreamPort });
    up.on('error', () => down.destroy());
    const pair = { down, up };
    this.pairs.add(pair);
    const forget = (): void => {
      this.pairs.delete(pair);
    };
    down.on('close', () => {
      forget();
      up.destroy();
    });
    up.on('close', () => {
      forget();
      if (!this.held.has(down)) down.destroy();
    });
    down.pipe(up);
    up.pipe(down);
  }

  /** Reads and discards whatever the agent sends; answers nothing, never closes. */
  private hold(down: Socket): void {
    this.heldConnections++;
    this.held.add(down);
    down.unpipe();
    down.on('data', () => undefined);
    down.on('close', () => this.held.delete(down));
  }

  drop(): void {
    this.dropped = true;
    for (const { down, up } of [...this.pairs]) {
      up.unpipe(down);
      this.hold(down);
      up.destroy();
    }
    this.pairs.clear();
  }

  restore(): void {
    this.dropped = false;
  }

  async close(): Promise<void> {
    for (const s of this.held) s.destroy();
    for (const { down, up } of this.pairs) {
      down.destroy();
      up.destroy();
    }
    const srv = this.server;
    if (srv !== undefined) await new Promise<void>((r) => srv.close(() => r()));
  }
}
