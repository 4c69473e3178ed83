/**
 * Outcomes a handler can signal by throwing. The router maps them onto the answer daprd needs
 * (contract §3.4): a drop acknowledges the message and lets Dapr dead-letter it; a retry makes Dapr
 * deliver it again. Any other thrown error is also a retry — never a SUCCESS, which would lose it.
 */
export class DropMessage extends Error {
  override readonly name = "DropMessage";
  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export class RetryLater extends Error {
  override readonly name = "RetryLater";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
