/** A migration that cannot start or go on, for a reason the operator can act on (the message says what to do). */
export class MigrateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrateError';
  }
}
