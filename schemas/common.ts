// Building blocks shared by the config schemas.
import { Type } from '@sinclair/typebox';

/** A byte size: a whole number of bytes, or a string such as "512MiB" or "2 GB". */
export const ByteSize = (defaultValue: string, description: string) =>
  Type.Union(
    [Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*([kKmMgGtT]i?[bB]?|[bB])?\\s*$' })],
    { default: defaultValue, description: `${description}. A byte count, or a size such as "512MiB" or "2GB"` },
  );

/** A duration: milliseconds as a number, or a string such as "500ms", "30s", "24h", "7d". */
export const Duration = (defaultValue: string, description: string) =>
  Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h|d|w)\\s*$' })], {
    default: defaultValue,
    description: `${description}. Milliseconds, or a duration such as "500ms", "30s", "24h", "7d"`,
  });

/** A setting whose value is never printed, logged or written into a bundle. */
export const Secret = (description: string) => Type.Optional(Type.String({ secret: true, description }));

export const Strict = { additionalProperties: false } as const;
