// The source's one record in the state store: container id → checkpoint.
// Changes are saved at most every `intervalMs`, one save at a time, and once
// more on close; a failed save is reported and retried with the next change.
import type { StateStore } from '../../pipeline/types.ts';
import { type ContainerCheckpoint, parseCheckpoint } from './checkpoint.ts';

/** Name of the record in the state store. */
export const STATE_NAME = 'docker_logs';

interface StateRecord {
  readonly version: 1;
  readonly containers: Record<string, ContainerCheckpoint>;
}

export class SavedPositions {
  readonly #store: StateStore;
  readonly #intervalMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #checkpoints = new Map<string, ContainerCheckpoint>();
  #saving: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #dirty = false;
  #closed = false;

  constructor(store: StateStore, intervalMs: number, onError: (error: unknown) => void) {
    this.#store = store;
    this.#intervalMs = intervalMs;
    this.#onError = onError;
  }

  /** Reads the record; entries that are not checkpoints are ignored. */
  async load(): Promise<void> {
    const containers = (await this.#store.load<{ containers?: unknown }>(STATE_NAME))?.containers;
    if (typeof containers !== 'object' || containers === null) return;
    for (const [id, raw] of Object.entries(containers)) {
      const checkpoint = parseCheckpoint(raw);
      if (checkpoint) this.#checkpoints.set(id, checkpoint);
    }
  }

  get(id: string): ContainerCheckpoint | undefined {
    return this.#checkpoints.get(id);
  }

  ids(): string[] {
    return [...this.#checkpoints.keys()];
  }

  set(id: string, checkpoint: ContainerCheckpoint): void {
    this.#checkpoints.set(id, checkpoint);
    this.#changed();
  }

  delete(id: string): void {
    if (this.#checkpoints.delete(id)) this.#changed();
  }

  /** Saves what changed since the last save and stops saving. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#saving;
    if (this.#dirty) await this.#save();
  }

  #changed(): void {
    this.#dirty = true;
    if (this.#timer || this.#saving || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#save();
    }, this.#intervalMs);
  }

  async #save(): Promise<void> {
    this.#dirty = false;
    const record: StateRecord = { version: 1, containers: Object.fromEntries(this.#checkpoints) };
    this.#saving = this.#store.save(STATE_NAME, record).then(
      () => undefined,
      (error: unknown) => {
        this.#dirty = true;
        this.#onError(error);
      },
    );
    await this.#saving;
    this.#saving = undefined;
    if (this.#dirty && !this.#closed) this.#changed();
  }
}
