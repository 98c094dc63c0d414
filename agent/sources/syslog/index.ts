// The `syslog` source: the network listener (UDP, TCP, TLS) for appliances,
// network gear and hosts that send syslog.
export { type Frame, FrameDecoder, type Framing } from './framing.ts';
export { SyslogSource, type SyslogSourceDeps, type SyslogSourceOptions, type SyslogSourceStatus } from './source.ts';
export type { ListenerStats, Transport } from './stats.ts';
