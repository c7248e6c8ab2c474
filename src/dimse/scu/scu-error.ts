/** Why an association with a remote AE, or an operation on it, failed. */
export class ScuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScuError';
  }
}
