/** One open ADB stream as a service sees it. */
export interface ServiceStream {
  /** Queues data for the host; resolves once the host has acknowledged it (ADB flow control). */
  write(data: Buffer): Promise<void>;
  /** Closes the stream after everything queued has been sent. */
  end(): void;
  readonly closed: boolean;
  /**
   * Data the host wrote to this stream. Returning a promise holds the acknowledgement (A_OKAY) until it
   * settles, so a slow reader makes the host wait (ADB flow control) instead of buffering without bound.
   */
  onData?: (data: Buffer) => void | Promise<void>;
  /** The host closed the stream or the connection dropped. */
  onClose?: () => void;
}
