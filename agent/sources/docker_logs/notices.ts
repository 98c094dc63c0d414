// What the docker_logs source tells its owner (the agent's logger, status,
// tests) about itself: one typed notice per thing that happens, never one per
// log line.
import type { CodedError } from '../../../core/coded-error.ts';

export type DockerSourceNotice =
  /** The events stream is open and the container list was read. */
  | { type: 'engine_connected'; containers: number }
  /** The engine did not answer; discovery retries after `retryInMs`. */
  | { type: 'engine_unreachable'; error: CodedError; retryInMs: number }
  /** A log stream was opened; `since` is Docker's resume point ("seconds.nanoseconds"), absent for the whole log. */
  | { type: 'container_following'; containerId: string; name: string; since?: string }
  /**
   * The container stopped and its log was read to the end. `confirmed` is
   * false when it was removed before a read opened after its stop could
   * confirm the end (a followed stream can end early on dockerd 20.10).
   */
  | { type: 'container_drained'; containerId: string; name: string; confirmed: boolean }
  /** The container is gone (destroyed, or removed while shiplog was down) and its state was dropped. */
  | { type: 'container_forgotten'; containerId: string; name: string }
  /** The container's logs could not be read at all (e.g. a --rm container removed first, or an unreadable driver). */
  | { type: 'logs_unreadable'; containerId: string; name: string; error: CodedError }
  /** A log stream broke; the follower resumes from what it handed on, after `retryInMs`. */
  | { type: 'stream_error'; containerId: string; name: string; error: unknown; retryInMs: number }
  /** The engine wrote an error into the log stream (frame type 3), e.g. a record it could not decode. */
  | { type: 'engine_message'; containerId: string; name: string; message: string }
  /**
   * The engine deleted lines that were never read (log rotation past max-file while the agent was
   * stopped): it holds nothing older than `to`, and the agent had read up to `from`.
   */
  | { type: 'rotated_away'; containerId: string; name: string; from: string; to: string; error: CodedError }
  /** The writer rejected a batch; the follower rewinds to the last acknowledged line and reads again. */
  | { type: 'write_failed'; containerId: string; name: string; error: unknown }
  /** Saving checkpoints failed; the next acknowledgement tries again. */
  | { type: 'checkpoint_save_failed'; error: unknown };

export type NoticeListener = (notice: DockerSourceNotice) => void;
