/**
 * Errors of the CLI's side of the AWS control plane. The API's own refusals (400 CampaignSpecInvalid,
 * 404 CampaignNotFound, 409 CampaignStateConflict) come back as the contract's classes in
 * lib/aws/errors.ts; these are the client's. `name` is a string literal: it is what cli/exit-codes.ts
 * maps to an exit code.
 */

/** No control plane is configured, or its configuration is unusable. Nothing was sent. */
export class AwsConfigError extends Error {
  override readonly name = 'AwsConfigError';
}

/** The standard AWS credential chain found no credentials. Nothing was sent. */
export class AwsCredentialsError extends Error {
  override readonly name = 'AwsCredentialsError';
}

/** API Gateway refused the signed request (401/403): wrong credentials, no IAM permission, wrong region. */
export class AwsApiAuthError extends Error {
  override readonly name = 'AwsApiAuthError';
}

/** The API does not answer, answered something unexpected, or refused for a reason not in the contract. */
export class AwsApiError extends Error {
  override readonly name = 'AwsApiError';
  constructor(
    message: string,
    /** HTTP status, or null when the request never got an answer. */
    readonly status: number | null = null,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A transfer to or from a presigned URL failed, or its bytes do not match the record's checksum. */
export class AwsTransferError extends Error {
  override readonly name = 'AwsTransferError';
  constructor(
    message: string,
    /** HTTP status of a refusal (403: the URL expired), or null (network, checksum). */
    readonly status: number | null = null,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The SSH tunnel to a cluster could not be opened (ssh failed, the port is taken, no cluster yet). */
export class AwsTunnelError extends Error {
  override readonly name = 'AwsTunnelError';
}
