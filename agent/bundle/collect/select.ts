// The --containers filter: names (with or without Docker's leading '/') or
// ids, full or a prefix of at least 4 characters as `docker` accepts them.
import type { ContainerFact } from './types.ts';

export function selectContainers<T extends Pick<ContainerFact, 'id' | 'name'>>(
  all: readonly T[],
  wanted: readonly string[],
): T[] {
  if (wanted.length === 0) return [...all];
  return all.filter((container) => wanted.some((want) => matches(container, want)));
}

export function matches(container: Pick<ContainerFact, 'id' | 'name'>, want: string): boolean {
  const name = want.replace(/^\//, '');
  if (container.name === name) return true;
  return /^[0-9a-f]{4,64}$/.test(want) && container.id.startsWith(want);
}
