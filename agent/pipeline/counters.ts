// The agent's internal telemetry: plain counters and gauges per component,
// read by `shiplog status` and /metrics. Nothing here logs per event.
import type { DropReason, Telemetry } from './types.ts';

export interface ComponentCounters {
  received: number;
  receivedBytes: number;
  sent: number;
  sentBytes: number;
  dropped: Partial<Record<DropReason, number>>;
  /** Bytes lost with drops, where known (at least these). */
  droppedBytes: Partial<Record<DropReason, number>>;
  gauges: Record<string, number>;
}

export class Counters implements Telemetry {
  private readonly components = new Map<string, ComponentCounters>();

  private of(component: string): ComponentCounters {
    let entry = this.components.get(component);
    if (!entry) {
      entry = { received: 0, receivedBytes: 0, sent: 0, sentBytes: 0, dropped: {}, droppedBytes: {}, gauges: {} };
      this.components.set(component, entry);
    }
    return entry;
  }

  eventsReceived(component: string, count: number, bytes: number): void {
    const entry = this.of(component);
    entry.received += count;
    entry.receivedBytes += bytes;
  }

  eventsSent(component: string, count: number, bytes: number): void {
    const entry = this.of(component);
    entry.sent += count;
    entry.sentBytes += bytes;
  }

  eventsDropped(component: string, reason: DropReason, count: number, _intentional: boolean): void {
    const dropped = this.of(component).dropped;
    dropped[reason] = (dropped[reason] ?? 0) + count;
  }

  bytesDropped(component: string, reason: DropReason, bytes: number): void {
    const dropped = this.of(component).droppedBytes;
    dropped[reason] = (dropped[reason] ?? 0) + bytes;
  }

  gauge(component: string, name: string, value: number): void {
    this.of(component).gauges[name] = value;
  }

  snapshot(): Record<string, ComponentCounters> {
    return structuredClone(Object.fromEntries(this.components));
  }
}
