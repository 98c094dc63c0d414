// Finds containers without polling: subscribes to the engine's container
// events first, then lists every container (all=true), then applies the
// events that arrived meanwhile, so a container that lives 200 ms between the
// two is still seen. When the engine goes away (dockerd restart, socket
// recreated) it reconnects with backoff and lists again: the engine replays
// no events across its own restart.
import type Dockerode from 'dockerode';
import { CodedError } from '../../../core/coded-error.ts';
import { agentErrors } from '../../errors.ts';
import { backoff } from './backoff.ts';

export const CONTAINER_ACTIONS = ['start', 'restart', 'die', 'destroy', 'rename', 'pause', 'unpause'] as const;
export type ContainerAction = (typeof CONTAINER_ACTIONS)[number];

export interface ContainerEvent {
  readonly action: ContainerAction;
  readonly id: string;
  /** The container's labels, plus name, image and event details (exitCode, oldName). */
  readonly attributes: Readonly<Record<string, string>>;
}

export interface DiscoveryHandlers {
  /** The events stream is open and every container was listed (at start and after each reconnect). */
  listed(containers: readonly Dockerode.ContainerInfo[]): void;
  event(event: ContainerEvent): void;
  unreachable(error: CodedError, retryInMs: number): void;
}

export interface DiscoveryOptions {
  /** How the engine is addressed, for messages. */
  readonly host: string;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
}

const ACTIONS = new Set<string>(CONTAINER_ACTIONS);

export class Discovery {
  readonly #docker: Dockerode;
  readonly #handlers: DiscoveryHandlers;
  readonly #options: DiscoveryOptions;
  readonly #stopped = new AbortController();
  #loop: Promise<void> | undefined;
  #connected = false;

  constructor(docker: Dockerode, handlers: DiscoveryHandlers, options: DiscoveryOptions) {
    this.#docker = docker;
    this.#handlers = handlers;
    this.#options = options;
  }

  get connected(): boolean {
    return this.#connected;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const signal = this.#stopped.signal;
    let attempt = 0;
    while (!signal.aborted) {
      let failure: unknown;
      try {
        const events = await this.#docker.getEvents({
          filters: { type: ['container'], event: [...CONTAINER_ACTIONS] },
          abortSignal: signal,
        } as Dockerode.GetEventsOptions & { abortSignal: AbortSignal });
        try {
          const containers = await this.#docker.listContainers({ all: true, abortSignal: signal });
          this.#connected = true;
          attempt = 0;
          this.#handlers.listed(containers);
          for await (const event of containerEvents(events as AsyncIterable<Buffer | string>)) {
            this.#handlers.event(event);
          }
        } finally {
          (events as { destroy?: () => void }).destroy?.();
        }
      } catch (error) {
        failure = error;
      }
      this.#connected = false;
      if (signal.aborted) break;
      // A clean end too: dockerd closes the events stream when it shuts down.
      const retryInMs = backoff(attempt++, this.#options);
      const detail = failure instanceof Error ? failure.message.trim() : 'the events stream ended';
      this.#handlers.unreachable(
        new CodedError(agentErrors.DOCKER_UNREACHABLE, { host: this.#options.host, detail }, { cause: failure }),
        retryInMs,
      );
      await sleep(retryInMs, signal);
    }
  }
}

/** Parses the events stream (one JSON object per line) into container events. */
export async function* containerEvents(stream: AsyncIterable<Buffer | string>): AsyncGenerator<ContainerEvent> {
  let text = '';
  for await (const chunk of stream) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let newline = text.indexOf('\n');
    while (newline >= 0) {
      const event = parseEvent(text.slice(0, newline));
      text = text.slice(newline + 1);
      if (event) yield event;
      newline = text.indexOf('\n');
    }
  }
}

export function parseEvent(line: string): ContainerEvent | undefined {
  if (line.trim() === '') return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  const record = raw as { Type?: unknown; Action?: unknown; Actor?: { ID?: unknown; Attributes?: unknown } };
  const action = record.Action;
  const id = record.Actor?.ID;
  if (record.Type !== 'container' || typeof action !== 'string' || !ACTIONS.has(action) || typeof id !== 'string') {
    return undefined;
  }
  const attributes: Record<string, string> = {};
  const given = record.Actor?.Attributes;
  if (given && typeof given === 'object') {
    for (const [key, value] of Object.entries(given)) if (typeof value === 'string') attributes[key] = value;
  }
  return { action: action as ContainerAction, id, attributes };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
