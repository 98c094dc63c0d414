// One log event as it leaves the agent: Elastic Common Schema field names, so
// it lands in any Elasticsearch/Kibana without mapping work.
import { type Static, Type } from '@sinclair/typebox';

const Str = Type.String();
const Opt = Type.Optional;

export const SyslogFieldsSchema = Type.Object(
  {
    facility: Opt(
      Type.Object({ code: Type.Integer({ minimum: 0, maximum: 23 }), name: Opt(Str) }, { additionalProperties: false }),
    ),
    severity: Opt(
      Type.Object({ code: Type.Integer({ minimum: 0, maximum: 7 }), name: Opt(Str) }, { additionalProperties: false }),
    ),
    priority: Opt(Type.Integer({ minimum: 0, maximum: 191 })),
    appname: Opt(Str),
    procid: Opt(Str),
    msgid: Opt(Str),
    hostname: Opt(Str),
    version: Opt(Type.Integer()),
    structured_data: Opt(Type.Record(Str, Type.Record(Str, Str))),
  },
  { additionalProperties: false },
);

/** Where an event came from, precisely enough to resume and to derive its id. */
export const SourcePositionSchema = Type.Object(
  {
    source: Type.Union([Type.Literal('docker'), Type.Literal('file'), Type.Literal('syslog'), Type.Literal('ship')]),
    /** Container id or file identity (device:inode:fingerprint). */
    key: Str,
    /** Byte offset (files) or full-precision Docker timestamp (containers). */
    position: Str,
    /** Ordinal among events that share `position` (Docker timestamps repeat). */
    seq: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

export const LogEventSchema = Type.Object(
  {
    '@timestamp': Type.String({ description: 'Event time, RFC 3339 with up to nanosecond precision' }),
    message: Str,
    tags: Opt(Type.Array(Str)),
    event: Type.Object(
      {
        dataset: Type.Union([Type.Literal('docker.container_logs'), Type.Literal('system.syslog'), Str]),
        ingested: Opt(Str),
        original: Opt(Str),
      },
      { additionalProperties: false },
    ),
    log: Opt(
      Type.Object(
        {
          level: Opt(Str),
          stream: Opt(Type.Union([Type.Literal('stdout'), Type.Literal('stderr')])),
          file: Opt(Type.Object({ path: Str }, { additionalProperties: false })),
          syslog: Opt(SyslogFieldsSchema),
        },
        { additionalProperties: false },
      ),
    ),
    host: Type.Object({ name: Str }, { additionalProperties: false }),
    source: Opt(
      Type.Object(
        { ip: Str, port: Opt(Type.Integer({ minimum: 0, maximum: 65535 })) },
        { additionalProperties: false, description: 'The network sender of a received message' },
      ),
    ),
    container: Opt(
      Type.Object(
        {
          id: Str,
          name: Opt(Str),
          image: Opt(Type.Object({ name: Str, tag: Opt(Str) }, { additionalProperties: false })),
          labels: Opt(Type.Record(Str, Str)),
          runtime: Opt(Str),
        },
        { additionalProperties: false },
      ),
    ),
    service: Opt(Type.Object({ name: Str }, { additionalProperties: false })),
    process: Opt(
      Type.Object({ name: Opt(Str), pid: Opt(Type.Integer({ minimum: 0 })) }, { additionalProperties: false }),
    ),
    labels: Opt(Type.Record(Str, Str)),
    data_stream: Opt(
      Type.Object({ type: Type.Literal('logs'), dataset: Str, namespace: Str }, { additionalProperties: false }),
    ),
    shiplog: Type.Object(
      {
        id: Type.String({ description: 'Deterministic id derived from the source position' }),
        origin: SourcePositionSchema,
        partial: Opt(Type.Boolean({ description: 'Reassembled from Docker partial messages' })),
        truncated: Opt(Type.Boolean({ description: 'Cut at the size cap' })),
        multiline: Opt(Type.Integer({ minimum: 2, description: 'Number of lines merged into this event' })),
        parse_failure: Opt(Str),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, $id: 'https://shiplog.dev/schemas/log-event.schema.json' },
);

export type LogEvent = Static<typeof LogEventSchema>;
export type SourcePosition = Static<typeof SourcePositionSchema>;
