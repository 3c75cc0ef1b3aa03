// Errors a command reports by their message alone, without a stack trace (cli/shared/run.ts maps
// them to exit codes).

/** An error in how a command was called: an unknown stack or service, a bad flag. Exit 2. */
export class UsageError extends Error {}
