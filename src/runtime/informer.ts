// An informer: a reflector filling an indexed store, plus event handlers called for each change.
import type { KubeClient } from './kube.js';
import type { KubeObject, ResourceType } from './objects.js';
import { Reflector, type Delta, type ReflectorOptions } from './reflector.js';
import { Store, type IndexFunc } from './store.js';

export interface EventHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(old: T, obj: T): void;
  onDelete?(obj: T): void;
}

export interface InformerOptions<T> extends ReflectorOptions<T> {
  indexers?: Record<string, IndexFunc<T>>;
}

export class Informer<T extends KubeObject = KubeObject> {
  readonly store: Store<T>;
  readonly reflector: Reflector<T>;
  private readonly handlers: EventHandlers<T>[] = [];
  private running: Promise<void> | undefined;

  constructor(
    client: KubeClient,
    readonly resource: ResourceType,
    opts: InformerOptions<T> = {},
  ) {
    this.store = new Store<T>(opts.indexers);
    this.reflector = new Reflector<T>(client, resource, this.store, (d) => this.dispatch(d), opts);
  }

  addHandlers(h: EventHandlers<T>): void {
    this.handlers.push(h);
    // A late handler sees what is already cached, as client-go's AddEventHandler does.
    if (this.running) for (const obj of this.store.list()) h.onAdd?.(obj);
  }

  hasSynced(): boolean {
    return this.reflector.hasSynced();
  }

  /** Starts list+watch until signal aborts (idempotent). */
  start(signal: AbortSignal): Promise<void> {
    this.running ??= this.reflector.run(signal);
    return this.running;
  }

  /** Resolves when the first list has been cached, or rejects when signal aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.hasSynced()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(new Error(`cache for ${this.resource.plural} did not sync`));
      signal?.addEventListener('abort', onAbort, { once: true });
      void this.reflector.synced$.then(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  private dispatch(d: Delta<T>): void {
    for (const h of this.handlers) {
      if (d.type === 'add') h.onAdd?.(d.obj);
      else if (d.type === 'update') h.onUpdate?.(d.old, d.obj);
      else h.onDelete?.(d.obj);
    }
  }
}
