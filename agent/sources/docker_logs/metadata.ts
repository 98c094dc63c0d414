// ECS enrichment for a container's events: container.id, container.name
// (without Docker's leading "/", current after a rename), container.image,
// the labels the configuration allows, service.name from the compose service
// label. Built from what the engine already sends (the container list, event
// attributes, inspect), frozen, and shared by every event of the container.
import type { LogEvent } from '../../../schemas/log-event.ts';

export const COMPOSE_SERVICE = 'com.docker.compose.service';
export const COMPOSE_PROJECT = 'com.docker.compose.project';

export type ContainerFields = NonNullable<LogEvent['container']>;

export interface ContainerMetadata {
  readonly id: string;
  readonly name: string;
  readonly container: Readonly<ContainerFields>;
  readonly service?: { readonly name: string };
}

/** Event attributes that are not labels (Docker mixes labels into them). */
const EVENT_ATTRIBUTES = new Set(['image', 'name', 'exitCode', 'signal', 'oldName', 'execDuration']);

/** Compiles "com.docker.compose.*"-style globs (* and ?) into one matcher. */
export function globMatcher(globs: readonly string[]): (value: string) => boolean {
  if (globs.length === 0) return () => false;
  const source = globs
    .map((glob) =>
      glob
        .split('')
        .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join(''),
    )
    .join('|');
  const pattern = new RegExp(`^(?:${source})$`, 's');
  return (value) => pattern.test(value);
}

/** Splits an image reference into name and tag ("reg:5000/ns/app:1.2@sha256:..." → "reg:5000/ns/app", "1.2"). */
export function parseImage(reference: string): { name: string; tag?: string } {
  const withoutDigest = reference.split('@')[0] ?? reference;
  if (withoutDigest.startsWith('sha256:')) return { name: withoutDigest };
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  if (colon > slash) return { name: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1) };
  return { name: withoutDigest };
}

export function stripSlash(name: string): string {
  return name.startsWith('/') ? name.slice(1) : name;
}

export interface MetadataInput {
  id: string;
  name: string;
  image?: string;
  labels?: Readonly<Record<string, string>>;
}

export class MetadataBuilder {
  readonly #allowLabel: (key: string) => boolean;

  /** @param labelGlobs label keys copied into container.labels (the compose project is always kept) */
  constructor(labelGlobs: readonly string[]) {
    const matches = globMatcher(labelGlobs);
    this.#allowLabel = (key) => key === COMPOSE_PROJECT || matches(key);
  }

  build(input: MetadataInput): ContainerMetadata {
    const all = input.labels ?? {};
    const labels: Record<string, string> = {};
    for (const [key, value] of Object.entries(all)) if (this.#allowLabel(key)) labels[key] = value;
    const name = stripSlash(input.name);
    const container: ContainerFields = { id: input.id, name, runtime: 'docker' };
    if (input.image) container.image = Object.freeze(parseImage(input.image));
    if (Object.keys(labels).length > 0) container.labels = Object.freeze(labels);
    const service = all[COMPOSE_SERVICE];
    return Object.freeze({
      id: input.id,
      name,
      container: Object.freeze(container),
      ...(service ? { service: Object.freeze({ name: service }) } : {}),
    });
  }

  /** From an entry of GET /containers/json (Names are "/name"; the first is the container's own). */
  fromList(entry: {
    Id: string;
    Names?: string[];
    Image?: string;
    Labels?: Record<string, string>;
  }): ContainerMetadata {
    const own = entry.Names?.find((n) => stripSlash(n).indexOf('/') < 0) ?? entry.Names?.[0] ?? entry.Id.slice(0, 12);
    return this.build({ id: entry.Id, name: own, image: entry.Image, labels: entry.Labels });
  }

  /** From a container event's actor; its attributes are the labels plus name, image and event details. */
  fromEvent(id: string, attributes: Readonly<Record<string, string>>): ContainerMetadata {
    const labels: Record<string, string> = {};
    for (const [key, value] of Object.entries(attributes)) if (!EVENT_ATTRIBUTES.has(key)) labels[key] = value;
    return this.build({ id, name: attributes.name ?? id.slice(0, 12), image: attributes.image, labels });
  }

  /** From GET /containers/{id}/json. */
  fromInspect(info: {
    Id: string;
    Name: string;
    Config?: { Image?: string; Labels?: Record<string, string> | null };
  }): ContainerMetadata {
    return this.build({
      id: info.Id,
      name: info.Name,
      image: info.Config?.Image,
      labels: info.Config?.Labels ?? undefined,
    });
  }

  renamed(meta: ContainerMetadata, name: string): ContainerMetadata {
    return this.build({
      id: meta.id,
      name,
      image: meta.container.image
        ? `${meta.container.image.name}${meta.container.image.tag ? `:${meta.container.image.tag}` : ''}`
        : undefined,
      labels: { ...meta.container.labels, ...(meta.service ? { [COMPOSE_SERVICE]: meta.service.name } : {}) },
    });
  }
}
