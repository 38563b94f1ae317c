/** One open ADB stream as a service sees it. */
export interface ServiceStream {
  /** Queues data for the host; resolves once the host has acknowledged it (ADB flow control). */
  write(data: Buffer): Promise<void>;
  /** Closes the stream after everything queued has been sent. */
  end(): void;
  readonly closed: boolean;
  /** Data the host wrote to this stream. */
  onData?: (data: Buffer) => void;
  /** The host closed the stream or the connection dropped. */
  onClose?: () => void;
}
