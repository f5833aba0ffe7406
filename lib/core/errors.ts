/**
 * Typed errors. `name` is a string literal rather than the class name because minifiers rename classes
 * and the name is the contract with the CLI's exit-code mapping (and later with Step Functions'
 * `ErrorEquals`).
 */

/** Something the user gave us is wrong; nothing was started. Exit code 2. */
export class CampaignInputError extends Error {
  override readonly name = 'CampaignInputError';
}

/** The simulation program refused a query (unknown config, bad filter...). Carries its own `<!>` text. */
export class SimulationQueryError extends Error {
  override readonly name = 'SimulationQueryError';
  constructor(
    message: string,
    readonly programMessages: readonly string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Another inet-swarm process is running the same campaign in the same state directory. */
export class CampaignLockedError extends Error {
  override readonly name = 'CampaignLockedError';
}

/** The state directory holds something we cannot read back (a manifest written by a newer version...). */
export class StateCorruptError extends Error {
  override readonly name = 'StateCorruptError';
}

/** The project source is larger than the snapshot limit; nothing was uploaded. */
export class SourceSnapshotTooLargeError extends Error {
  override readonly name = 'SourceSnapshotTooLargeError';
}

/** The project source cannot be snapshotted as it is (a link pointing outside the project...). */
export class SourceSnapshotError extends Error {
  override readonly name = 'SourceSnapshotError';
}

/** An archive holds entries that would write outside its target; nothing was extracted. */
export class ArchiveEntryRejectedError extends Error {
  override readonly name = 'ArchiveEntryRejectedError';
  constructor(
    message: string,
    readonly entries: readonly string[],
  ) {
    super(message);
  }
}

/** The project's own build command failed; carries the last lines of its output (the compiler's error). */
export class BuildFailedError extends Error {
  override readonly name = 'BuildFailedError';
  constructor(
    message: string,
    readonly logTail: readonly string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Thrown by a queue handler when retrying a unit cannot help (a simulation error, a malformed unit). */
export class UnitFailedPermanentlyError extends Error {
  override readonly name = 'UnitFailedPermanentlyError';
}

/**
 * Thrown by a queue handler that gives its unit back unfinished through no fault of the unit (the
 * runner is stopping): the queue hands the runs still to do to another consumer as the same attempt.
 */
export class UnitHandedBackError extends Error {
  override readonly name = 'UnitHandedBackError';
  constructor(
    message: string,
    /** The unit's runs still to do, by run number; the others finished and are recorded. */
    readonly remainingRuns: readonly number[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** No blob is stored under the requested key. */
export class BlobNotFoundError extends Error {
  override readonly name = 'BlobNotFoundError';
}

/** A blob's content no longer matches its recorded checksum; the copy was discarded. */
export class BlobCorruptError extends Error {
  override readonly name = 'BlobCorruptError';
}

/** The Docker engine named with --docker (or DOCKER_HOST, or the local socket) does not answer. */
export class DockerUnreachableError extends Error {
  override readonly name = 'DockerUnreachableError';
}

/** The Docker engine answers but cannot deploy a stack: it is not a swarm manager. */
export class NotSwarmManagerError extends Error {
  override readonly name = 'NotSwarmManagerError';
}

/** The stack did not come up (a task keeps failing, an image is missing on a node...). */
export class SwarmNotReadyError extends Error {
  override readonly name = 'SwarmNotReadyError';
}

/** The gateway refused our token, or we have none for it. Nothing was done. */
export class GatewayAuthError extends Error {
  override readonly name = 'GatewayAuthError';
}

/** The gateway does not answer, or answered with something we cannot use. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
}
